/**
 * A browser without a browser, for sign-in flows across servers (WebSSO, OpenID Connect code flows):
 * it keeps cookies per host (as a browser does, whatever the port), follows redirects itself, and on
 * an HTML page with a form fills the fields it is given and submits the form, as a user (or the page's
 * own onload script) would. It stops at a URL the caller names (to look at, or tamper with, a redirect
 * before it is followed) or at the first page without a form.
 */

export interface BrowserPage {
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

export interface BrowserStop {
  /** the URL the browser was about to request when `stopAt` said so */
  stoppedAt: string;
  /** the method and form body it would have sent */
  method: string;
  body?: URLSearchParams;
}

export interface GoOptions {
  /** form fields to fill, by name, wherever a form has them */
  fill?: Readonly<Record<string, string>>;
  /** stop before requesting a URL for which this is true */
  stopAt?: (url: URL) => boolean;
  /** the most requests one go() makes (default 20) */
  maxSteps?: number;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

interface ParsedForm {
  action: string;
  method: string;
  fields: Array<{ name: string; value: string; type: string }>;
}

function attribute(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3] ?? '') : undefined;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The first form of an HTML page, with its inputs (buttons included: the first submit's name is sent). */
export function firstForm(html: string): ParsedForm | null {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html.replace(/<noscript>[\s\S]*?<\/noscript>/gi, ''));
  if (!m) return null;
  const fields = [...m[2].matchAll(/<(input|button)\b([^>]*)>/gi)].map(([, element, tag]) => ({
    name: attribute(tag, 'name') ?? '',
    value: attribute(tag, 'value') ?? '',
    type: (attribute(tag, 'type') ?? (element.toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase(),
  }));
  return { action: attribute(m[1], 'action') ?? '', method: (attribute(m[1], 'method') ?? 'get').toUpperCase(), fields };
}

export class FormBrowser {
  private readonly cookies = new Map<string, Cookie[]>();

  /** The cookies this browser holds for a host (tests read or drop them). */
  cookiesOf(host: string): Cookie[] {
    return this.cookies.get(host) ?? [];
  }

  forget(host: string, name: string): void {
    this.cookies.set(
      host,
      this.cookiesOf(host).filter((c) => c.name !== name),
    );
  }

  private cookieHeader(url: URL): string | undefined {
    const sent = this.cookiesOf(url.hostname).filter((c) => url.pathname.startsWith(c.path));
    return sent.length ? sent.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  private remember(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const pathAttribute = attributes.map((a) => a.trim()).find((a) => /^path=/i.test(a));
      const path = pathAttribute ? pathAttribute.slice(5) : url.pathname.replace(/\/[^/]*$/, '/') || '/';
      const expired = attributes.some((a) => /^max-age=0$/i.test(a.trim()) || /^expires=.*1970/i.test(a.trim()));
      const kept = this.cookiesOf(url.hostname).filter((c) => !(c.name === name && c.path === path));
      this.cookies.set(url.hostname, expired ? kept : [...kept, { name, value, path }]);
    }
  }

  /** One request, with this browser's cookies; no redirect followed. */
  async request(method: string, url: string, body?: URLSearchParams): Promise<BrowserPage> {
    const target = new URL(url);
    const cookie = this.cookieHeader(target);
    const res = await fetch(target, {
      method,
      redirect: 'manual',
      headers: {
        accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
        ...(cookie ? { cookie } : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: body?.toString(),
    });
    this.remember(target, res.headers);
    return { url: target.toString(), status: res.status, headers: res.headers, text: await res.text() };
  }

  /** Navigate from `url`: redirects followed and forms submitted until a page without a form, or a stop. */
  async go(url: string, options: GoOptions = {}, method = 'GET', body?: URLSearchParams): Promise<BrowserPage | BrowserStop> {
    let next: { url: string; method: string; body?: URLSearchParams } = { url, method, body };
    for (let step = 0; step < (options.maxSteps ?? 20); step++) {
      if (options.stopAt?.(new URL(next.url))) return { stoppedAt: next.url, method: next.method, body: next.body };
      const page = await this.request(next.method, next.url, next.body);
      const location = page.headers.get('location');
      if (page.status >= 300 && page.status < 400 && location) {
        next = { url: new URL(location, page.url).toString(), method: 'GET' };
        continue;
      }
      const form = page.status === 200 && /html/i.test(page.headers.get('content-type') ?? '') ? firstForm(page.text) : null;
      if (!form) return page;
      const fields = new URLSearchParams();
      let submitted = false;
      for (const field of form.fields) {
        if (!field.name) continue;
        if (field.type === 'submit') {
          if (!submitted) fields.append(field.name, field.value);
          submitted = true;
          continue;
        }
        fields.append(field.name, options.fill?.[field.name] ?? field.value);
      }
      const action = new URL(form.action || page.url, page.url);
      if (form.method === 'POST') next = { url: action.toString(), method: 'POST', body: fields };
      else {
        for (const [k, v] of fields) action.searchParams.append(k, v);
        next = { url: action.toString(), method: 'GET' };
      }
    }
    throw new Error(`no end after ${options.maxSteps ?? 20} steps (at ${next.url})`);
  }
}

export function isStop(result: BrowserPage | BrowserStop): result is BrowserStop {
  return 'stoppedAt' in result;
}
