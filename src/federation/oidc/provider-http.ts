/**
 * Requests this server makes to an OpenID Provider's endpoints (introspection, token, userinfo): a
 * bounded wait, no redirect followed, the answer read as a JSON object (or null). A transport failure
 * is a ProviderRequestFailed naming the endpoint.
 */
export class ProviderRequestFailed extends Error {}

export interface ProviderAnswer {
  status: number;
  ok: boolean;
  body: Record<string, unknown> | null;
}

/** client_secret_basic (RFC 6749 §2.3.1: both parts form-encoded before base64). */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

async function call(endpoint: string, init: RequestInit, timeoutSeconds: number): Promise<ProviderAnswer> {
  let res: Response;
  try {
    res = await fetch(endpoint, { ...init, signal: AbortSignal.timeout(timeoutSeconds * 1000), redirect: 'error' });
  } catch (err) {
    throw new ProviderRequestFailed(`${endpoint}: ${(err as Error).message}`);
  }
  const body = (await res.json().catch(() => null)) as unknown;
  const object = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  return { status: res.status, ok: res.ok, body: object };
}

/** An application/x-www-form-urlencoded POST. */
export function postForm(
  endpoint: string,
  form: Record<string, string>,
  authorization: string | undefined,
  timeoutSeconds: number,
): Promise<ProviderAnswer> {
  return call(
    endpoint,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        ...(authorization ? { authorization } : {}),
      },
      body: new URLSearchParams(form).toString(),
    },
    timeoutSeconds,
  );
}

/** A GET with a bearer access token (the userinfo endpoint). */
export function getWithBearer(endpoint: string, accessToken: string, timeoutSeconds: number): Promise<ProviderAnswer> {
  return call(endpoint, { headers: { accept: 'application/json', authorization: `Bearer ${accessToken}` } }, timeoutSeconds);
}
