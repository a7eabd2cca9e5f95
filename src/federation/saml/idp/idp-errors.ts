/**
 * The identity provider's errors a client sees: both are Keystone's
 * UnexpectedError family (500, the generic message); the reason goes to
 * the log only.
 */
import { UnexpectedError } from '../../../common/errors.js';

/** Keystone's SAMLSigningError: the assertion could not be signed (certificate, key or a value XML cannot carry). */
export class SamlSigningError extends UnexpectedError {
  constructor(readonly reason: string) {
    super();
  }
}

/** Keystone's MetadataFileError: [saml] idp_metadata_path cannot be read. */
export class MetadataFileError extends UnexpectedError {
  constructor(readonly reason: string) {
    super();
  }
}
