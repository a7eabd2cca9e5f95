import type { TableMapping } from '../table-mapping.js';

/** Credentials (EC2, TOTP, …): encrypted blobs that the copied credential key repository decrypts. */
export const CREDENTIAL_TABLES: readonly TableMapping[] = [{ table: 'credential', key: ['id'] }];
