/** Domain-specific configuration (whitelisted and sensitive options) and OAuth1 consumers, as Keystone stores them. */
export const version = 2;
export const name = 'domain config and oauth1';
export const sql = `
CREATE TABLE whitelisted_config (
  domain_id varchar(64) NOT NULL,
  "group" varchar(255) NOT NULL,
  option varchar(255) NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (domain_id, "group", option)
);
CREATE TABLE sensitive_config (
  domain_id varchar(64) NOT NULL,
  "group" varchar(255) NOT NULL,
  option varchar(255) NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (domain_id, "group", option)
);
CREATE TABLE consumer (
  id varchar(64) PRIMARY KEY,
  description varchar(64),
  secret varchar(64) NOT NULL,
  extra text NOT NULL DEFAULT '{}'
);
CREATE TABLE request_token (
  id varchar(64) PRIMARY KEY,
  request_secret varchar(64) NOT NULL,
  verifier varchar(64),
  authorizing_user_id varchar(64),
  requested_project_id varchar(64) NOT NULL,
  role_ids text,
  consumer_id varchar(64) NOT NULL REFERENCES consumer(id) ON DELETE CASCADE,
  expires_at varchar(64)
);
CREATE TABLE access_token (
  id varchar(64) PRIMARY KEY,
  access_secret varchar(64) NOT NULL,
  authorizing_user_id varchar(64) NOT NULL,
  project_id varchar(64) NOT NULL,
  role_ids text NOT NULL,
  consumer_id varchar(64) NOT NULL REFERENCES consumer(id) ON DELETE CASCADE,
  expires_at varchar(64)
);
CREATE INDEX ix_access_token_authorizing_user_id ON access_token (authorizing_user_id);
`;
