/**
 * The Keystone tables the first migrations left out (federation, endpoint
 * policy, domain config registration, expiring group memberships),
 * as Keystone 22 and 2024.1 define them, so that keystone-manage db_import can
 * bring every table of a Keystone database over with its ids.
 */
export const version = 4;
export const name = 'keystone remaining tables';
export const sql = `
ALTER TABLE identity_provider ADD COLUMN authorization_ttl integer;
CREATE TABLE idp_remote_ids (
  idp_id varchar(64) REFERENCES identity_provider(id) ON DELETE CASCADE,
  remote_id varchar(255) PRIMARY KEY
);
CREATE TABLE mapping (
  id varchar(64) PRIMARY KEY,
  rules text NOT NULL,
  schema_version varchar(5) NOT NULL DEFAULT '1.0'
);
CREATE TABLE federation_protocol (
  id varchar(64) NOT NULL,
  idp_id varchar(64) NOT NULL REFERENCES identity_provider(id) ON DELETE CASCADE,
  mapping_id varchar(64) NOT NULL,
  remote_id_attribute varchar(64),
  PRIMARY KEY (id, idp_id)
);
CREATE TABLE service_provider (
  id varchar(64) PRIMARY KEY,
  auth_url varchar(256) NOT NULL,
  enabled boolean NOT NULL,
  description text,
  sp_url varchar(256) NOT NULL,
  relay_state_prefix varchar(256) NOT NULL DEFAULT 'ss:mem:'
);
CREATE TABLE expiring_user_group_membership (
  user_id varchar(64) NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  group_id varchar(64) NOT NULL REFERENCES "group"(id) ON DELETE CASCADE,
  idp_id varchar(64) NOT NULL REFERENCES identity_provider(id) ON DELETE CASCADE,
  last_verified timestamptz NOT NULL,
  PRIMARY KEY (user_id, group_id, idp_id)
);
CREATE TABLE policy_association (
  id varchar(64) PRIMARY KEY,
  policy_id varchar(64) NOT NULL,
  endpoint_id varchar(64),
  service_id varchar(64),
  region_id varchar(64),
  UNIQUE (endpoint_id, service_id, region_id)
);
CREATE TABLE config_register (
  type varchar(64) PRIMARY KEY,
  domain_id varchar(64) NOT NULL
);
`;
