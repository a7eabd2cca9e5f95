/**
 * OAuth 2.0 mutual-TLS client authentication (RFC 8705 tls_client_auth) as
 * Keystone 2023.1 added it to POST /v3/OS-OAUTH2/token (api/os_oauth2.py
 * _tls_client_auth): client_id names a user; the certificate's subject and
 * issuer DN (certificate-dn.ts) go through the mapping [oauth2]
 * oauth2_cert_dn_mapping_id, and every user property the mapping yields
 * (name, id, email, domain id, domain name) must be the user's. The token is
 * scoped to the user's default project, lists the method oauth2_credential
 * and is bound to the certificate's thumbprint (Fernet payload version 10,
 * `oauth2_credential: {"x5t#S256": …}` in its body), so that
 * keystonemiddleware's oauth2_mtls_token refuses it with another certificate.
 *
 * Keystone mints such a token without the auth plugins; here it goes through
 * the one grant path (src/auth/token-grant.ts) like every other token: a
 * disabled user, domain or project, no role on the project, or an unmet MFA
 * rule refuse it (no receipt: invalid_client).
 *
 * Every refusal of the client is Keystone's invalid_client 401 "Client
 * authentication failed."; the reason goes to the log only.
 */
import type { X509Certificate } from 'node:crypto';
import { KeystoneError, OAuth2Error } from '../../common/errors.js';
import type { ProviderApi } from '../../common/provider-api.js';
import { log } from '../../log/logger.js';
import { RuleProcessor, type MappedProperties, type MappingRule } from '../../federation/mapping/rule-processor.js';
import type { ValidatedToken } from '../../token/token-model.js';
import { issueGrantedToken } from '../token-grant.js';
import { certificateDnAssertion, UnreadableName } from './certificate-dn.js';
import { certificateThumbprint } from './client-certificate.js';

export const CLIENT_AUTHENTICATION_FAILED = 'Client authentication failed.';

/** The 401 of every refused client, its reason logged as Keystone logs it. */
export function clientAuthenticationFailed(reason: string): OAuth2Error {
  log.info(`Get OAuth2.0 Access Token API: ${reason}`);
  return new OAuth2Error(401, 'Unauthorized', 'invalid_client', CLIENT_AUTHENTICATION_FAILED);
}

interface UserFacts {
  id: string;
  name: string;
  email: unknown;
  domain: { id: string; name: string };
}

/** Keystone's _check_mapped_properties: each property the mapping gave must be the user's. */
function checkMappedUser(mapped: MappedProperties, user: UserFacts): void {
  const m = mapped.user;
  const checks: [string, string | undefined, unknown][] = [
    ['user name', m.name, user.name],
    ['user id', m.id, user.id],
    ['user email', m.email, user.email],
    ['user domain id', m.domain?.id, user.domain.id],
    ['user domain name', m.domain?.name, user.domain.name],
  ];
  for (const [what, fromDn, fromDb] of checks)
    if (fromDn && fromDn !== fromDb)
      throw clientAuthenticationFailed(`${what} check failed. DN value: ${fromDn}, DB value: ${String(fromDb)}.`);
}

export class MutualTlsClientAuthentication {
  constructor(private readonly providers: ProviderApi) {}

  private async mappedProperties(assertion: Record<string, string>): Promise<MappedProperties> {
    const mappingId = this.providers.conf.oauth2.oauth2_cert_dn_mapping_id;
    const mapping = await this.providers.federation_api.findMapping(mappingId);
    if (!mapping) throw clientAuthenticationFailed(`mapping id ${mappingId} is not found.`);
    try {
      return new RuleProcessor(mapping.id, mapping.rules as MappingRule[]).process(assertion);
    } catch (err) {
      if (err instanceof KeystoneError && err.code < 500)
        throw clientAuthenticationFailed(`mapping rule process failed. mapping_id: ${mappingId}, data: ${JSON.stringify(assertion)}.`);
      throw err;
    }
  }

  /** The certificate-bound token of the user client_id names (OAuth2Error for the client's failures). */
  async issue(clientId: string, certificate: X509Certificate): Promise<ValidatedToken> {
    let assertion: Record<string, string>;
    try {
      assertion = certificateDnAssertion(certificate);
    } catch (err) {
      if (err instanceof UnreadableName) throw clientAuthenticationFailed('failed to get the subject DN from the certificate.');
      throw err;
    }
    const user = clientId.includes('\0') ? null : await this.providers.identity_api.findUser(clientId);
    if (!user) throw clientAuthenticationFailed(`the user does not exist. user id: ${clientId}.`);
    const projectId = user.defaultProjectId;
    if (!projectId) throw clientAuthenticationFailed(`the user does not have default project. user id: ${clientId}.`);
    const domain = await this.providers.resource_api.findDomain(user.domainId);
    if (!domain) throw clientAuthenticationFailed(`the user's domain does not exist. user id: ${clientId}.`);
    const mapped = await this.mappedProperties(assertion);
    checkMappedUser(mapped, { id: user.id, name: user.name, email: user.extra.email, domain: { id: domain.id, name: domain.name } });
    const thumbprint = certificateThumbprint(certificate);
    log.debug(`The mTLS certificate thumbprint: ${thumbprint}`);
    return issueGrantedToken(
      this.providers,
      { userId: user.id, methods: ['oauth2_credential'], oauth2Thumbprint: thumbprint },
      { projectId },
      { receipts: false },
    );
  }
}
