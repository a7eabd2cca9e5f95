/** Public ids of users and groups from drivers that do not make UUIDs (LDAP): Keystone's id_mapping table. */
export const version = 3;
export const name = 'id mapping';
export const sql = `
DO $$ BEGIN
  CREATE TYPE entity_type AS ENUM ('user', 'group');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
CREATE TABLE id_mapping (
  public_id varchar(64) PRIMARY KEY,
  domain_id varchar(64) NOT NULL,
  local_id varchar(255) NOT NULL,
  entity_type entity_type NOT NULL,
  CONSTRAINT domain_id UNIQUE (domain_id, local_id, entity_type)
);
`;
