/**
 * What the OS-OAUTH1 manager asks of its storage (Keystone's oauth1 driver
 * interface, oauth1/backends/base.py): consumers, request tokens, access
 * tokens, and the nonces seen (replay protection, which Keystone leaves to
 * nobody). The SQL backends are consumer-repository.ts,
 * delegation-repository.ts and nonce-repository.ts.
 */

export interface ConsumerRow {
  id: string;
  description: string | null;
  secret: string;
  /** JSON text */
  extra: string;
}

export interface RequestTokenRow {
  id: string;
  request_secret: string;
  verifier: string | null;
  authorizing_user_id: string | null;
  requested_project_id: string;
  /** JSON text: a list of role ids, once authorized */
  role_ids: string | null;
  consumer_id: string;
  /** Keystone's isotime with microseconds, or null (never expires) */
  expires_at: string | null;
}

export interface AccessTokenRow {
  id: string;
  access_secret: string;
  authorizing_user_id: string;
  project_id: string;
  /** JSON text: a list of role ids */
  role_ids: string;
  consumer_id: string;
  expires_at: string | null;
}

export interface ConsumerBackend {
  insertConsumer(row: ConsumerRow): Promise<void>;
  getConsumer(id: string): Promise<ConsumerRow | null>;
  /** by id */
  listConsumers(): Promise<ConsumerRow[]>;
  updateConsumer(id: string, description: string | null, extra: string): Promise<void>;
  /** the consumer with its request and access tokens */
  deleteConsumer(id: string): Promise<void>;
}

export interface DelegationBackend {
  insertRequestToken(row: RequestTokenRow): Promise<void>;
  getRequestToken(id: string): Promise<RequestTokenRow | null>;
  /** false when the request token is gone */
  authorizeRequestToken(id: string, userId: string, verifier: string, roleIds: string): Promise<boolean>;
  /** the access token inserted and the request token deleted, at once; false when the request token was gone (used meanwhile) */
  exchangeRequestToken(requestTokenId: string, row: AccessTokenRow): Promise<boolean>;
  getAccessToken(id: string): Promise<AccessTokenRow | null>;
  listAccessTokens(userId: string): Promise<AccessTokenRow[]>;
  deleteAccessToken(id: string): Promise<void>;
}

export interface NonceBackend {
  /** true when (consumer, nonce, timestamp) was not seen before (and is now recorded) */
  recordNonce(consumerId: string, nonce: string, timestamp: number): Promise<boolean>;
  /** nonces whose timestamp is before `timestamp` forgotten */
  forgetNoncesBefore(timestamp: number): Promise<void>;
}
