/**
 * The page that hands a WebSSO token to the dashboard ([federation] sso_callback_template, Keystone's
 * _render_template_response): the file read at each sign-in and filled as Python's
 * string.Template.substitute fills it ($host, $token, ${name}; $$ is a dollar; any other placeholder
 * is an error). When the option keeps its default path and no file is there, Keystone's own template
 * (shipped as conf/sso_callback_template.html and inlined here) is used.
 */
import { readFile } from 'node:fs/promises';

export const DEFAULT_SSO_CALLBACK_TEMPLATE_PATH = '/etc/keystone/sso_callback_template.html';

/** Keystone's etc/sso_callback_template.html: a form posting the token to the dashboard, submitted on load. */
export const KEYSTONE_SSO_CALLBACK_TEMPLATE = `<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <title>Keystone WebSSO redirect</title>
  </head>
  <body>
     <form id="sso" name="sso" action="$host" method="post">
       Please wait...
       <br/>
       <input type="hidden" name="token" id="token" value="$token"/>
       <noscript>
         <input type="submit" name="submit_no_javascript" id="submit_no_javascript"
            value="If your JavaScript is disabled, please click to continue"/>
       </noscript>
     </form>
     <script type="text/javascript">
       window.onload = function() {
         document.forms['sso'].submit();
       }
     </script>
  </body>
</html>
`;

const PLACEHOLDER = /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\}|())/gi;

/** Python's string.Template(text).substitute(values); an unknown or malformed placeholder throws. */
export function substituteTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_match, escaped?: string, named?: string, braced?: string) => {
    if (escaped) return '$';
    const name = named ?? braced;
    if (name === undefined) throw new Error('Invalid placeholder in string');
    if (!Object.prototype.hasOwnProperty.call(values, name)) throw new Error(`unknown placeholder ${name}`);
    return values[name];
  });
}

export class SsoCallbackTemplate {
  constructor(private readonly path: string) {}

  private async text(): Promise<string> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      if (this.path === DEFAULT_SSO_CALLBACK_TEMPLATE_PATH && (err as NodeJS.ErrnoException).code === 'ENOENT')
        return KEYSTONE_SSO_CALLBACK_TEMPLATE;
      throw err;
    }
  }

  /** The page posting `token` to `host`; an unreadable or malformed template is a 500 (logged by the error stage). */
  async render(host: string, token: string): Promise<string> {
    return substituteTemplate(await this.text(), { host, token });
  }
}
