/** The methods this server implements, and those of them [auth] methods enables. */
import type { AuthMethod } from './method.js';
import { passwordMethod } from './password.js';
import { tokenMethod } from './token.js';
import { applicationCredentialMethod } from './application-credential.js';
import { externalMethod } from './external.js';
import { totpMethod } from './totp.js';
import { oauth1Method } from './oauth1.js';
import { mappedMethod } from './mapped.js';

const IMPLEMENTED: readonly AuthMethod[] = [
  passwordMethod,
  tokenMethod,
  applicationCredentialMethod,
  externalMethod,
  totpMethod,
  oauth1Method,
  // Keystone loads its Mapped plugin under these names
  mappedMethod('mapped'),
  mappedMethod('openid'),
  mappedMethod('saml2'),
];

export class EnabledMethods {
  private readonly byName: ReadonlyMap<string, AuthMethod>;

  /** `names`: [auth] methods, as configured (methods not implemented here included: error bodies list them) */
  constructor(readonly names: readonly string[]) {
    this.byName = new Map(IMPLEMENTED.filter((m) => names.includes(m.name)).map((m) => [m.name, m]));
  }

  /** The method, when implemented and enabled. */
  get(name: string): AuthMethod | undefined {
    return this.byName.get(name);
  }
}
