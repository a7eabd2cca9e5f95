/**
 * OS-OAUTH1 delegation (Keystone's oauth_api, oauth1/core.py with the flows
 * of api/os_oauth1.py and oauthlib's endpoints): a consumer asks for a
 * request token for a project, a user authorizes it with some of its roles
 * on that project (the verifier), the consumer exchanges it for an access
 * token, and the access token's signed requests authenticate as the user,
 * scoped to the project with the authorized roles (the oauth1 auth method).
 *
 * Every signed request is checked as oauthlib checks it (signed-request.ts,
 * signature.ts) and, beyond Keystone, once only: a (consumer, nonce,
 * timestamp) seen within the timestamp window is refused (replay), across
 * every worker (the nonce table). Deleting a consumer or an access token
 * revokes the tokens issued through it.
 */
import { randomInt } from 'node:crypto';
import { NotFound, Unauthorized, ValidationError } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { isoZeroMicrosZ, secondsFromIso } from '../common/time.js';
import type { KeystoneConfig } from '../config/options.js';
import type { RevokeManager } from '../revoke/revoke-manager.js';
import type { AssignmentManager } from '../assignment/assignment-manager.js';
import type { RoleManager } from '../assignment/role-manager.js';
import { ConsumerManager } from './consumer-manager.js';
import type { AccessTokenRow, ConsumerBackend, DelegationBackend, NonceBackend, RequestTokenRow } from './oauth1-backend.js';
import {
  isKeystoneKey,
  OAuthRequestError,
  readSignedRequest,
  TIMESTAMP_LIFETIME_SECONDS,
  type HttpRequestParts,
} from './signed-request.js';
import { signatureMatches } from './signature.js';

/** Keystone's VERIFIER_CHARS: letters and digits without the confusable jiIl1oO0. */
const VERIFIER_CHARS = 'abcdefghkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export interface RequestToken {
  id: string;
  requestSecret: string;
  verifier: string | null;
  authorizingUserId: string | null;
  requestedProjectId: string;
  roleIds: string[] | null;
  consumerId: string;
  expiresAt: string | null;
}

export interface AccessToken {
  id: string;
  authorizingUserId: string;
  projectId: string;
  roleIds: string[];
  consumerId: string;
  expiresAt: string | null;
}

/** What an access token's signed request proves (the oauth1 auth method). */
export interface OAuthProof {
  userId: string;
  accessTokenId: string;
  projectId: string;
}

export interface OAuth1Deps {
  conf: Pick<KeystoneConfig, 'oauth1' | 'DEFAULT'>;
  consumers: ConsumerBackend;
  tokens: DelegationBackend;
  nonces: NonceBackend;
  revoke_api: Pick<RevokeManager, 'revokeByConsumer' | 'revokeByAccessToken'>;
  assignment_api: Pick<AssignmentManager, 'rolesForUserOnProject'>;
  role_api: Pick<RoleManager, 'findRoleByName'>;
}

const AMENDMENT = '(Disable insecure_debug mode to suppress these details.)';

function parseRoleIds(text: string | null): string[] {
  if (!text) return [];
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((r): r is string => typeof r === 'string') : [];
}

const requestTokenOf = (r: RequestTokenRow): RequestToken => ({
  id: r.id,
  requestSecret: r.request_secret,
  verifier: r.verifier,
  authorizingUserId: r.authorizing_user_id,
  requestedProjectId: r.requested_project_id,
  roleIds: r.role_ids === null ? null : parseRoleIds(r.role_ids),
  consumerId: r.consumer_id,
  expiresAt: r.expires_at,
});

const accessTokenOf = (r: AccessTokenRow): AccessToken => ({
  id: r.id,
  authorizingUserId: r.authorizing_user_id,
  projectId: r.project_id,
  roleIds: parseRoleIds(r.role_ids),
  consumerId: r.consumer_id,
  expiresAt: r.expires_at,
});

/** Keystone's expiry checks: an expires_at in the past (a text Keystone cannot parse never expires here either). */
function expired(expiresAt: string | null): boolean {
  if (!expiresAt) return false;
  const at = secondsFromIso(expiresAt);
  return Number.isFinite(at) && Date.now() / 1000 > at;
}

/** Keystone's utils.isotime(subsecond=True): microseconds shown, precise to the second. */
function expiryIn(seconds: number): string | null {
  return seconds > 0 ? isoZeroMicrosZ(Date.now() / 1000 + seconds) : null;
}

/** Keystone's validate_oauth_params: what oauthlib refused, as a 400. */
export function oauthValidationError(err: OAuthRequestError): ValidationError {
  return new ValidationError(`Validation failed with errors: ${err.error}, detail message is: ${err.description}.`, false);
}

export class OAuth1Manager extends ConsumerManager {
  private lastPrune = 0;

  constructor(private readonly deps: OAuth1Deps) {
    super(deps.consumers);
  }

  /** A SecurityError's 401: the detail only with insecure_debug. */
  private unauthorized(detail: string): Unauthorized {
    return this.deps.conf.DEFAULT.insecure_debug ? new Unauthorized(`${detail} ${AMENDMENT}`) : new Unauthorized();
  }

  override async delete(id: string): Promise<void> {
    await super.delete(id);
    await this.deps.revoke_api.revokeByConsumer(id);
  }

  /** The nonce taken, once per (consumer, nonce, timestamp) within the window; false for a replay. */
  private async takeNonce(consumerId: string, nonce: string, timestamp: string): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    if (now - this.lastPrune > TIMESTAMP_LIFETIME_SECONDS) {
      this.lastPrune = now;
      await this.deps.nonces.forgetNoncesBefore(now - 2 * TIMESTAMP_LIFETIME_SECONDS);
    }
    return this.deps.nonces.recordNonce(consumerId, nonce, Number(timestamp));
  }

  // ---- request tokens ------------------------------------------------------------------------

  async getRequestToken(id: string): Promise<RequestToken> {
    const row = await this.deps.tokens.getRequestToken(id);
    if (!row) throw new NotFound('Request token not found');
    return requestTokenOf(row);
  }

  /**
   * POST /v3/OS-OAUTH1/request_token, once the consumer and the project are
   * known to exist: the consumer's signed request (with a callback, "oob")
   * answered with a new request token for the project.
   */
  async createRequestToken(http: HttpRequestParts, consumerId: string, projectId: string): Promise<RequestToken> {
    const signed = readSignedRequest(http);
    const realm = /realm="([^"]*)"/.exec(http.authorization ?? '')?.[1];
    if (realm) throw new OAuthRequestError('invalid_request', `Invalid realm ${JSON.stringify(realm.split(' '))}. Allowed are [].`);
    if (!signed.callback) throw new OAuthRequestError('invalid_request', 'Missing callback URI.');
    const consumer = await this.deps.consumers.getConsumer(signed.clientKey);
    const valid =
      consumer !== null &&
      signed.clientKey === consumerId &&
      signatureMatches(signed.signatureMethod, signed, consumer.secret, null, signed.signature) &&
      (await this.takeNonce(consumer.id, signed.nonce, signed.timestamp));
    if (!valid) throw this.unauthorized('Invalid signature');
    const row: RequestTokenRow = {
      id: newId(),
      request_secret: newId(),
      verifier: null,
      authorizing_user_id: null,
      requested_project_id: projectId,
      role_ids: null,
      consumer_id: consumerId,
      expires_at: expiryIn(this.deps.conf.oauth1.request_token_duration),
    };
    await this.deps.tokens.insertRequestToken(row);
    return requestTokenOf(row);
  }

  /**
   * PUT /v3/OS-OAUTH1/authorize/{id}: the user delegates some of its roles on
   * the requested project (by id, or a global role's name); the verifier.
   */
  async authorizeRequestToken(id: string, userId: string, roles: readonly { id?: string; name?: string }[]): Promise<string> {
    const token = await this.getRequestToken(id);
    if (expired(token.expiresAt)) throw this.unauthorized('Request token is expired');
    const wanted = new Set<string>();
    for (const role of roles) {
      if (role.id) wanted.add(role.id);
      else {
        const found = role.name ? await this.deps.role_api.findRoleByName(role.name) : null;
        if (!found) throw new NotFound(`Role ${role.name ?? ''} is not defined`);
        wanted.add(found.id);
      }
    }
    const held = new Set((await this.deps.assignment_api.rolesForUserOnProject(userId, token.requestedProjectId)).map((r) => r.id));
    for (const roleId of wanted) if (!held.has(roleId)) throw this.unauthorized('authorizing user does not have role required');
    let verifier = '';
    const pool = VERIFIER_CHARS.split('');
    for (let i = 0; i < 8; i++) verifier += pool.splice(randomInt(pool.length), 1)[0];
    if (!(await this.deps.tokens.authorizeRequestToken(id, userId, verifier, JSON.stringify([...wanted]))))
      throw new NotFound('Request token not found');
    return verifier;
  }

  // ---- access tokens -------------------------------------------------------------------------

  /**
   * POST /v3/OS-OAUTH1/access_token: the consumer's request signed with the
   * request token and its verifier, answered with an access token (the
   * request token is used up).
   */
  async createAccessToken(
    http: HttpRequestParts,
    consumerId: string,
    requestTokenId: string,
    verifier: string,
  ): Promise<AccessToken & { accessSecret: string }> {
    const requestToken = await this.getRequestToken(requestTokenId);
    if (expired(requestToken.expiresAt)) throw this.unauthorized('Request token is expired');
    const signed = readSignedRequest(http);
    if (!signed.token) throw new OAuthRequestError('invalid_request', 'Missing resource owner.');
    if (!isKeystoneKey(signed.token)) throw new OAuthRequestError('invalid_request', 'Invalid resource owner key format.');
    if (!signed.verifier) throw new OAuthRequestError('invalid_request', 'Missing verifier.');
    if (!(signed.verifier.length === 8 && /^[a-zA-Z2-9]{8}$/.test(signed.verifier) && !/[jiIl1oO0]/.test(signed.verifier)))
      throw new OAuthRequestError('invalid_request', 'Invalid verifier format.');
    const consumer = await this.deps.consumers.getConsumer(signed.clientKey);
    if (!consumer) throw this.unauthorized('Provided consumer does not exist.');
    if (requestToken.consumerId !== signed.clientKey || signed.clientKey !== consumerId || signed.token !== requestTokenId)
      throw this.unauthorized('Provided consumer key does not match stored consumer key.');
    if (requestToken.verifier !== signed.verifier || signed.verifier !== verifier)
      throw this.unauthorized('Provided verifier does not match stored verifier');
    const valid =
      signatureMatches(signed.signatureMethod, signed, consumer.secret, requestToken.requestSecret, signed.signature) &&
      (await this.takeNonce(consumer.id, signed.nonce, signed.timestamp));
    if (!valid) throw this.unauthorized('Invalid signature');
    if (!requestToken.authorizingUserId) throw this.unauthorized('Request Token does not have an authorizing user id.');
    const row: AccessTokenRow = {
      id: newId(),
      access_secret: newId(),
      authorizing_user_id: requestToken.authorizingUserId,
      project_id: requestToken.requestedProjectId,
      role_ids: JSON.stringify(requestToken.roleIds ?? []),
      consumer_id: requestToken.consumerId,
      expires_at: expiryIn(this.deps.conf.oauth1.access_token_duration),
    };
    // a request token used meanwhile by a concurrent exchange is gone: only one access token comes of it
    if (!(await this.deps.tokens.exchangeRequestToken(requestTokenId, row))) throw new NotFound('Request token not found');
    return { ...accessTokenOf(row), accessSecret: row.access_secret };
  }

  async findAccessToken(id: string): Promise<AccessToken | null> {
    const row = await this.deps.tokens.getAccessToken(id);
    return row ? accessTokenOf(row) : null;
  }

  async getAccessToken(id: string): Promise<AccessToken> {
    const token = await this.findAccessToken(id);
    if (!token) throw new NotFound('Access token not found');
    return token;
  }

  async listAccessTokens(userId: string): Promise<AccessToken[]> {
    return (await this.deps.tokens.listAccessTokens(userId)).map(accessTokenOf);
  }

  /** The user's access token deleted, and every token issued through it revoked. */
  async deleteAccessToken(userId: string, id: string): Promise<void> {
    const token = await this.getAccessToken(id);
    if (token.authorizingUserId !== userId) throw this.unauthorized('User IDs do not match');
    await this.deps.tokens.deleteAccessToken(id);
    await this.deps.revoke_api.revokeByAccessToken(id);
  }

  /**
   * The oauth1 auth method (auth/plugins/oauth1.py with oauthlib's
   * ResourceEndpoint): a request signed with an access token proves its user,
   * the token and its project. Anything wrong with the signature is a 401.
   */
  async verifyResourceRequest(http: HttpRequestParts, accessTokenId: string): Promise<OAuthProof> {
    const token = await this.getAccessToken(accessTokenId);
    if (expired(token.expiresAt)) throw this.unauthorized('Access token is expired');
    const failed = () => this.unauthorized('Could not validate the access token');
    let signed;
    try {
      signed = readSignedRequest(http);
    } catch (err) {
      if (err instanceof OAuthRequestError) throw failed();
      throw err;
    }
    if (signed.token !== accessTokenId || signed.clientKey !== token.consumerId) throw failed();
    const row = await this.deps.tokens.getAccessToken(accessTokenId);
    const consumer = await this.deps.consumers.getConsumer(signed.clientKey);
    if (!row || !consumer) throw failed();
    if (!signatureMatches(signed.signatureMethod, signed, consumer.secret, row.access_secret, signed.signature)) throw failed();
    if (!(await this.takeNonce(consumer.id, signed.nonce, signed.timestamp))) throw failed();
    return { userId: token.authorizingUserId, accessTokenId, projectId: token.projectId };
  }
}
