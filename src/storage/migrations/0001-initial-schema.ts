/**
 * Keystone's data model (as of Keystone 22's sql schema), so that an import
 * from a Keystone database is a mapping. Domains are rows of `project` with
 * is_domain; the root "<<keystone.domain.root>>" row anchors domain_id.
 */
export const version = 1;
export const name = 'initial schema';
export const sql = `
CREATE TABLE project (
  id varchar(64) PRIMARY KEY,
  name varchar(64) NOT NULL,
  extra text NOT NULL DEFAULT '{}',
  description text,
  enabled boolean,
  domain_id varchar(64) NOT NULL REFERENCES project(id),
  parent_id varchar(64) REFERENCES project(id),
  is_domain boolean NOT NULL DEFAULT false,
  CONSTRAINT ixu_project_name_domain_id UNIQUE (domain_id, name)
);
CREATE INDEX ix_project_parent_id ON project (parent_id);
INSERT INTO project (id, name, extra, description, enabled, domain_id, parent_id, is_domain)
  VALUES ('<<keystone.domain.root>>', '<<keystone.domain.root>>', '{}', '', false, '<<keystone.domain.root>>', NULL, true);

CREATE TABLE project_tag (
  project_id varchar(64) NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  name varchar(255) NOT NULL,
  PRIMARY KEY (project_id, name)
);
CREATE TABLE project_option (
  project_id varchar(64) NOT NULL REFERENCES project(id) ON DELETE CASCADE,
  option_id varchar(4) NOT NULL,
  option_value text,
  PRIMARY KEY (project_id, option_id)
);

CREATE TABLE "user" (
  id varchar(64) PRIMARY KEY,
  extra text NOT NULL DEFAULT '{}',
  enabled boolean,
  default_project_id varchar(64),
  created_at timestamptz,
  last_active_at date,
  domain_id varchar(64) NOT NULL REFERENCES project(id),
  CONSTRAINT ixu_user_id_domain_id UNIQUE (id, domain_id)
);
CREATE INDEX ix_user_domain_id ON "user" (domain_id);
CREATE TABLE user_option (
  user_id varchar(64) NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  option_id varchar(4) NOT NULL,
  option_value text,
  PRIMARY KEY (user_id, option_id)
);
CREATE TABLE local_user (
  id serial PRIMARY KEY,
  user_id varchar(64) NOT NULL UNIQUE,
  domain_id varchar(64) NOT NULL,
  name varchar(255) NOT NULL,
  failed_auth_count integer,
  failed_auth_at timestamptz,
  CONSTRAINT ixu_local_user_domain_id_name UNIQUE (domain_id, name),
  FOREIGN KEY (user_id, domain_id) REFERENCES "user"(id, domain_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE password (
  id serial PRIMARY KEY,
  local_user_id integer NOT NULL REFERENCES local_user(id) ON DELETE CASCADE,
  self_service boolean NOT NULL DEFAULT false,
  password_hash varchar(255),
  created_at timestamptz NOT NULL,
  expires_at timestamptz
);
CREATE INDEX ix_password_local_user_id ON password (local_user_id);
CREATE TABLE nonlocal_user (
  domain_id varchar(64) NOT NULL,
  name varchar(255) NOT NULL,
  user_id varchar(64) NOT NULL UNIQUE,
  PRIMARY KEY (domain_id, name),
  FOREIGN KEY (user_id, domain_id) REFERENCES "user"(id, domain_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE TABLE identity_provider (
  id varchar(64) PRIMARY KEY,
  enabled boolean NOT NULL,
  description text,
  domain_id varchar(64) NOT NULL REFERENCES project(id)
);
CREATE TABLE federated_user (
  id serial PRIMARY KEY,
  user_id varchar(64) NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  idp_id varchar(64) NOT NULL REFERENCES identity_provider(id) ON DELETE CASCADE,
  protocol_id varchar(64) NOT NULL,
  unique_id varchar(255) NOT NULL,
  display_name varchar(255),
  CONSTRAINT ixu_federated_user UNIQUE (idp_id, protocol_id, unique_id)
);

CREATE TABLE "group" (
  id varchar(64) PRIMARY KEY,
  domain_id varchar(64) NOT NULL,
  name varchar(64) NOT NULL,
  description text,
  extra text NOT NULL DEFAULT '{}',
  CONSTRAINT ixu_group_name_domain_id UNIQUE (domain_id, name)
);
CREATE TABLE user_group_membership (
  user_id varchar(64) NOT NULL REFERENCES "user"(id) ON DELETE CASCADE,
  group_id varchar(64) NOT NULL REFERENCES "group"(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, group_id)
);
CREATE INDEX ix_user_group_membership_group_id ON user_group_membership (group_id);

CREATE TABLE role (
  id varchar(64) PRIMARY KEY,
  name varchar(255) NOT NULL,
  extra text NOT NULL DEFAULT '{}',
  domain_id varchar(64) NOT NULL DEFAULT '<<null>>',
  description varchar(255),
  CONSTRAINT ixu_role_name_domain_id UNIQUE (name, domain_id)
);
CREATE TABLE role_option (
  role_id varchar(64) NOT NULL REFERENCES role(id) ON DELETE CASCADE,
  option_id varchar(4) NOT NULL,
  option_value text,
  PRIMARY KEY (role_id, option_id)
);
CREATE TABLE implied_role (
  prior_role_id varchar(64) NOT NULL REFERENCES role(id) ON DELETE CASCADE,
  implied_role_id varchar(64) NOT NULL REFERENCES role(id) ON DELETE CASCADE,
  PRIMARY KEY (prior_role_id, implied_role_id)
);
CREATE TABLE assignment (
  type varchar(16) NOT NULL CHECK (type IN ('UserProject', 'GroupProject', 'UserDomain', 'GroupDomain')),
  actor_id varchar(64) NOT NULL,
  target_id varchar(64) NOT NULL,
  role_id varchar(64) NOT NULL,
  inherited boolean NOT NULL DEFAULT false,
  PRIMARY KEY (type, actor_id, target_id, role_id, inherited)
);
CREATE INDEX ix_actor_id ON assignment (actor_id);
CREATE INDEX ix_assignment_target_id ON assignment (target_id);
CREATE INDEX ix_assignment_role_id ON assignment (role_id);
CREATE TABLE system_assignment (
  type varchar(64) NOT NULL CHECK (type IN ('UserSystem', 'GroupSystem')),
  actor_id varchar(64) NOT NULL,
  target_id varchar(64) NOT NULL,
  role_id varchar(64) NOT NULL,
  inherited boolean NOT NULL DEFAULT false,
  PRIMARY KEY (type, actor_id, target_id, role_id, inherited)
);

CREATE TABLE region (
  id varchar(255) PRIMARY KEY,
  description varchar(255) NOT NULL DEFAULT '',
  parent_region_id varchar(255),
  extra text NOT NULL DEFAULT '{}'
);
CREATE TABLE service (
  id varchar(64) PRIMARY KEY,
  type varchar(255),
  enabled boolean NOT NULL DEFAULT true,
  extra text NOT NULL DEFAULT '{}'
);
CREATE TABLE endpoint (
  id varchar(64) PRIMARY KEY,
  legacy_endpoint_id varchar(64),
  interface varchar(8) NOT NULL,
  service_id varchar(64) NOT NULL REFERENCES service(id),
  url text NOT NULL,
  extra text NOT NULL DEFAULT '{}',
  enabled boolean NOT NULL DEFAULT true,
  region_id varchar(255) REFERENCES region(id)
);
CREATE INDEX ix_endpoint_service_id ON endpoint (service_id);
CREATE TABLE endpoint_group (
  id varchar(64) PRIMARY KEY,
  name varchar(255) NOT NULL,
  description text,
  filters text NOT NULL
);
CREATE TABLE project_endpoint (
  endpoint_id varchar(64) NOT NULL,
  project_id varchar(64) NOT NULL,
  PRIMARY KEY (endpoint_id, project_id)
);
CREATE TABLE project_endpoint_group (
  endpoint_group_id varchar(64) NOT NULL REFERENCES endpoint_group(id) ON DELETE CASCADE,
  project_id varchar(64) NOT NULL,
  PRIMARY KEY (endpoint_group_id, project_id)
);

CREATE TABLE credential (
  id varchar(64) PRIMARY KEY,
  user_id varchar(64) NOT NULL,
  project_id varchar(64),
  type varchar(255) NOT NULL,
  extra text NOT NULL DEFAULT '{}',
  key_hash varchar(64) NOT NULL,
  encrypted_blob text NOT NULL
);
CREATE INDEX ix_credential_user_id ON credential (user_id);

CREATE TABLE token (
  id varchar(64) PRIMARY KEY,
  expires timestamptz,
  extra text NOT NULL DEFAULT '{}',
  valid boolean NOT NULL,
  trust_id varchar(64),
  user_id varchar(64)
);
CREATE INDEX ix_token_expires ON token (expires);
CREATE INDEX ix_token_expires_valid ON token (expires, valid);
CREATE INDEX ix_token_user_id ON token (user_id);
CREATE INDEX ix_token_trust_id ON token (trust_id);

CREATE TABLE revocation_event (
  id bigserial PRIMARY KEY,
  domain_id varchar(64),
  project_id varchar(64),
  user_id varchar(64),
  role_id varchar(64),
  trust_id varchar(64),
  consumer_id varchar(64),
  access_token_id varchar(64),
  issued_before timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz NOT NULL,
  audit_id varchar(32),
  audit_chain_id varchar(32)
);
CREATE INDEX ix_revocation_event_revoked_at ON revocation_event (revoked_at);
CREATE INDEX ix_revocation_event_audit_id_issued_before ON revocation_event (audit_id, issued_before);
CREATE INDEX ix_revocation_event_user_id_issued_before ON revocation_event (user_id, issued_before);
CREATE INDEX ix_revocation_event_project_id_issued_before ON revocation_event (project_id, issued_before);

CREATE TABLE trust (
  id varchar(64) PRIMARY KEY,
  trustor_user_id varchar(64) NOT NULL,
  trustee_user_id varchar(64) NOT NULL,
  project_id varchar(64),
  impersonation boolean NOT NULL,
  deleted_at timestamptz,
  expires_at timestamptz,
  remaining_uses integer,
  extra text NOT NULL DEFAULT '{}',
  redelegated_trust_id varchar(64),
  redelegation_count integer
);
CREATE TABLE trust_role (
  trust_id varchar(64) NOT NULL,
  role_id varchar(64) NOT NULL,
  PRIMARY KEY (trust_id, role_id)
);

CREATE TABLE application_credential (
  internal_id serial PRIMARY KEY,
  id varchar(64) NOT NULL UNIQUE,
  name varchar(255) NOT NULL,
  secret_hash varchar(255) NOT NULL,
  description text,
  user_id varchar(64) NOT NULL,
  project_id varchar(64),
  system varchar(64),
  expires_at timestamptz,
  unrestricted boolean,
  CONSTRAINT duplicate_app_cred_constraint UNIQUE (user_id, name)
);
CREATE TABLE application_credential_role (
  application_credential_id integer NOT NULL REFERENCES application_credential(internal_id) ON DELETE CASCADE,
  role_id varchar(64) NOT NULL,
  PRIMARY KEY (application_credential_id, role_id)
);
CREATE TABLE access_rule (
  id serial PRIMARY KEY,
  service varchar(64),
  path varchar(128),
  method varchar(16),
  external_id varchar(64) UNIQUE,
  user_id varchar(64),
  CONSTRAINT duplicate_access_rule_for_user_constraint UNIQUE (user_id, service, path, method)
);
CREATE TABLE application_credential_access_rule (
  application_credential_id integer NOT NULL REFERENCES application_credential(internal_id) ON DELETE CASCADE,
  access_rule_id integer NOT NULL REFERENCES access_rule(id) ON DELETE CASCADE,
  PRIMARY KEY (application_credential_id, access_rule_id)
);

CREATE TABLE policy (
  id varchar(64) PRIMARY KEY,
  type varchar(255) NOT NULL,
  blob text NOT NULL,
  extra text NOT NULL DEFAULT '{}'
);

CREATE TABLE registered_limit (
  internal_id serial PRIMARY KEY,
  id varchar(64) NOT NULL UNIQUE,
  service_id varchar(255),
  region_id varchar(64),
  resource_name varchar(255),
  default_limit integer NOT NULL,
  description text
);
CREATE TABLE "limit" (
  internal_id serial PRIMARY KEY,
  id varchar(64) NOT NULL UNIQUE,
  project_id varchar(64),
  domain_id varchar(64),
  resource_limit integer NOT NULL,
  description text,
  registered_limit_id integer REFERENCES registered_limit(internal_id)
);
`;
