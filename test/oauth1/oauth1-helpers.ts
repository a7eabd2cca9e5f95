/**
 * The OAuth 1.0a side of test/oauth1/: test/fixtures/oauth1/oauth1_client.py run by Debian's python
 * (oauthlib signs; keystoneclient and keystoneauth1 drive the dance as the OpenStack clients do).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PYTHON, pythonModulesMissing } from '../clients/python-clients.js';

const CLIENT = fileURLToPath(new URL('../../../test/fixtures/oauth1/oauth1_client.py', import.meta.url));

export const oauthClientsMissing = (): string | false =>
  pythonModulesMissing(['oauthlib', 'keystoneclient.v3.contrib.oauth1', 'keystoneauth1.extras.oauth1']);

export type Answer = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One op of oauth1_client.py (see its docstring). */
export function oauthClient(request: Record<string, unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [CLIENT], { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`oauth1_client.py exited ${String(code)}: ${err}`));
      else resolve(JSON.parse(out) as Answer);
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** The fields of a form-encoded answer (oauth_token=…&oauth_token_secret=…). */
export function formFields(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}
