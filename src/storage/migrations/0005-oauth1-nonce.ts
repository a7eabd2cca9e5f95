/**
 * OAuth 1.0a replay protection: the nonces seen with their timestamps, shared by every worker of every
 * keystone-all on the database. A nonce is kept while its timestamp is within the accepted window.
 */
export const version = 5;
export const name = 'oauth1 nonce';
export const sql = `
CREATE TABLE oauth1_nonce (
  consumer_id varchar(64) NOT NULL,
  nonce varchar(255) NOT NULL,
  "timestamp" bigint NOT NULL,
  PRIMARY KEY (consumer_id, nonce, "timestamp")
);
CREATE INDEX ix_oauth1_nonce_timestamp ON oauth1_nonce ("timestamp");
`;
