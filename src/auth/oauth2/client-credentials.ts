/**
 * The OAuth 2.0 client credentials grant (RFC 6749 section 4.4), as
 * Keystone's POST /v3/OS-OAUTH2/token: the client authenticates with an
 * application credential's id and secret (client-authentication.ts), the
 * form asks for grant_type=client_credentials, and the access token is an
 * ordinary token issued for an application_credential authentication —
 * through TokenAuthentication and so the one grant path
 * (src/auth/token-grant.ts) with every check it makes (enabled user,
 * domain and project, expired credential, MFA rules, delegation limits).
 *
 * Failures become Keystone's OAuth 2.0 errors: a 401 is invalid_client and
 * a 400 invalid_request (each with the message Keystone's would carry),
 * anything else other_error with its status and Keystone's generic words;
 * an unmet MFA rule hands out no receipt here (Keystone's
 * InsufficientAuthMethods message instead).
 *
 * A request with a client certificate from a trusted front proxy
 * (client-certificate.ts), when [oauth2] oauth2_authn_methods lists
 * tls_client_auth, is the mutual-TLS authentication instead (mutual-tls.ts),
 * checked in Keystone 2023.1's order: grant_type, then client_id, then the
 * certificate. A secret whose method (client_secret_basic, or
 * client_secret_post for the form) is not listed is refused (invalid_client).
 */
import type { Request } from 'express';
import { KeystoneError, OAuth2Error } from '../../common/errors.js';
import type { ProviderApi } from '../../common/provider-api.js';
import type { ValidatedToken } from '../../token/token-model.js';
import { TokenAuthentication } from '../authenticate.js';
import { clientCredentials } from './client-authentication.js';
import { AuthReceiptRequired } from '../grant/check-mfa.js';
import { ClientCertificates } from './client-certificate.js';
import { MutualTlsClientAuthentication, clientAuthenticationFailed } from './mutual-tls.js';

/** The successful answer (RFC 6749 section 5.1), keys in Keystone's (sorted) order. */
export interface AccessTokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
}

const GRANT_TYPE = 'client_credentials';
const UNKNOWN_FAILURE = 'An unknown error occurred and failed to get an OAuth2.0 access token.';

/** A failure of the authentication as the token endpoint reports it. */
export function asOAuth2Error(error: KeystoneError): OAuth2Error {
  if (error instanceof OAuth2Error) return error;
  // an unmet MFA rule: no receipt here, Keystone's InsufficientAuthMethods words
  if (error instanceof AuthReceiptRequired) return new OAuth2Error(401, error.title, 'invalid_client', error.insufficient, error);
  if (error.code === 401) return new OAuth2Error(401, error.title, 'invalid_client', error.message, error);
  if (error.code === 400) return new OAuth2Error(400, error.title, 'invalid_request', error.message, error);
  return new OAuth2Error(error.code, error.title, 'other_error', UNKNOWN_FAILURE, error);
}

function checkGrantType(form: Readonly<Record<string, string>>): void {
  if (!Object.hasOwn(form, 'grant_type'))
    throw new OAuth2Error(400, 'Bad Request', 'invalid_request', 'The parameter grant_type is required.');
  if (form.grant_type !== GRANT_TYPE)
    throw new OAuth2Error(400, 'Bad Request', 'unsupported_grant_type', `The parameter grant_type ${form.grant_type} is not supported.`);
}

export class ClientCredentialsGrant {
  private readonly authentication: TokenAuthentication;
  private readonly mutualTls: MutualTlsClientAuthentication;
  private readonly certificates: ClientCertificates;
  private readonly methods: ReadonlySet<string>;
  private readonly expiresIn: number;

  constructor(providers: ProviderApi) {
    this.authentication = new TokenAuthentication(providers);
    this.mutualTls = new MutualTlsClientAuthentication(providers);
    this.certificates = new ClientCertificates(providers.conf.oauth2);
    this.methods = new Set(providers.conf.oauth2.oauth2_authn_methods);
    this.expiresIn = providers.conf.token.expiration;
  }

  private answer(token: ValidatedToken): { token: ValidatedToken; body: AccessTokenResponse } {
    return { token, body: { access_token: token.id, expires_in: this.expiresIn, token_type: 'Bearer' } };
  }

  /** tls_client_auth: the client_id of the form, authenticated by the certificate. */
  private async issueForCertificate(
    req: Request,
    form: Readonly<Record<string, string>>,
  ): Promise<{ token: ValidatedToken; body: AccessTokenResponse } | null> {
    const certificate = this.certificates.of(req);
    if (certificate.kind === 'none') return null;
    checkGrantType(form);
    const clientId = Object.hasOwn(form, 'client_id') ? form.client_id : '';
    if (!clientId) throw clientAuthenticationFailed('failed to get a client_id from the request.');
    if (certificate.kind === 'refused') throw clientAuthenticationFailed(`client certificate refused: ${certificate.reason}.`);
    return this.answer(await this.mutualTls.issue(clientId, certificate.certificate));
  }

  /**
   * The access token for a token request: the client's credentials (the
   * Authorization header or the form), then grant_type, then the
   * authentication. Throws OAuth2Error for the client's mistakes; anything
   * else thrown is the caller's to turn into one (asOAuth2Error).
   */
  async issue(req: Request, form: Readonly<Record<string, string>>): Promise<{ token: ValidatedToken; body: AccessTokenResponse }> {
    if (this.methods.has('tls_client_auth')) {
      const issued = await this.issueForCertificate(req, form);
      if (issued) return issued;
    }
    const client = clientCredentials(req.headers.authorization, form);
    checkGrantType(form);
    // Keystone takes a form-posted secret as client_secret_basic too
    if (!this.methods.has(client.method) && !this.methods.has('client_secret_basic'))
      throw clientAuthenticationFailed(`client authentication method ${client.method} is not enabled in [oauth2] oauth2_authn_methods.`);
    // a NUL can be neither an id nor a secret (nor reach the database): a wrong client, as a wrong secret is
    if (client.clientId.includes('\0') || client.clientSecret.includes('\0'))
      throw new OAuth2Error(401, 'Unauthorized', 'invalid_client', 'The request you have made requires authentication.');
    const body = {
      auth: {
        identity: { methods: ['application_credential'], application_credential: { id: client.clientId, secret: client.clientSecret } },
      },
    };
    return this.answer(await this.authentication.authenticate(req, body, { receipts: true }));
  }
}
