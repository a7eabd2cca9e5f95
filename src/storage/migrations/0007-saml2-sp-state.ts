/**
 * The native SAML 2.0 service provider's memory, shared by every worker of every keystone-all on the
 * database: the AuthnRequests sent and not yet answered (a Response naming one takes it, once), and the
 * assertions consumed, kept until their NotOnOrAfter so that none is accepted twice.
 */
export const version = 7;
export const name = 'saml2 service provider state';
export const sql = `
CREATE TABLE saml2_authn_request (
  request_id varchar(64) PRIMARY KEY,
  idp_id varchar(64) NOT NULL,
  protocol_id varchar(64) NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX ix_saml2_authn_request_expires_at ON saml2_authn_request (expires_at);
CREATE TABLE saml2_consumed_assertion (
  assertion_key char(64) PRIMARY KEY,
  expires_at bigint NOT NULL
);
CREATE INDEX ix_saml2_consumed_assertion_expires_at ON saml2_consumed_assertion (expires_at);
`;
