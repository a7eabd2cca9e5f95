import * as initialSchema from './0001-initial-schema.js';
import * as domainConfigAndOauth1 from './0002-domain-config-and-oauth1.js';
import * as idMapping from './0003-id-mapping.js';
import * as keystoneRemainingTables from './0004-keystone-remaining-tables.js';
import * as oauth1Nonce from './0005-oauth1-nonce.js';
import * as webssoAuthorizationRequest from './0006-websso-authorization-request.js';
import * as saml2SpState from './0007-saml2-sp-state.js';
import * as saml2WebSsoRequest from './0008-saml2-websso-request.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Forward-only, in order. A new migration is a new file appended here. */
export const MIGRATIONS: readonly Migration[] = [
  initialSchema,
  domainConfigAndOauth1,
  idMapping,
  keystoneRemainingTables,
  oauth1Nonce,
  webssoAuthorizationRequest,
  saml2SpState,
  saml2WebSsoRequest,
];
export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;
