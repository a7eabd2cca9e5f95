/**
 * WebSSO through the native OpenID Connect code flow: the authorization requests sent to an identity
 * provider and not yet answered (state, nonce and PKCE verifier), shared by every worker of every
 * keystone-all on the database. A row is taken (deleted) when its answer comes back, so a state or
 * code cannot be used twice; rows past expires_at are purged.
 */
export const version = 6;
export const name = 'websso authorization request';
export const sql = `
CREATE TABLE websso_authorization_request (
  state_hash char(64) PRIMARY KEY,
  browser_hash char(64) NOT NULL,
  idp_id varchar(64) NOT NULL,
  protocol_id varchar(64) NOT NULL,
  origin text NOT NULL,
  nonce varchar(64) NOT NULL,
  code_verifier varchar(128) NOT NULL,
  redirect_uri text NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX ix_websso_authorization_request_expires_at ON websso_authorization_request (expires_at);
`;
