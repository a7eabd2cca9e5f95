/** The federation errors a client sees, with Keystone's codes and messages (keystone/exception.py). */
import { Conflict, NotFound, ValidationError } from '../common/errors.js';

export class IdentityProviderNotFound extends NotFound {
  constructor(idpId: string) {
    super(`Could not find Identity Provider: ${idpId}.`);
  }
}

export class FederatedProtocolNotFound extends NotFound {
  constructor(idpId: string, protocolId: string) {
    super(`Could not find federated protocol ${protocolId} for Identity Provider: ${idpId}.`);
  }
}

export class MappingNotFound extends NotFound {
  constructor(mappingId: string) {
    super(`Could not find mapping: ${mappingId}.`);
  }
}

export class ServiceProviderNotFound extends NotFound {
  constructor(spId: string) {
    super(`Could not find Service Provider: ${spId}.`);
  }
}

/**
 * A mapping names a group id that does not exist. Keystone 22 answers a 500 (MappedGroupNotFound is an
 * UnexpectedError there, its message in the logs only); the request is fine and the server is well, the
 * mapping is wrong: a 400 that says so, as Keystone answers a mapped group's unknown domain
 * (docs/federation.md, "Deviations").
 */
export class MappedGroupNotFound extends ValidationError {
  constructor(groupId: string, mappingId: string) {
    super(`Group ${groupId} returned by mapping ${mappingId} was not found in the backend.`, false);
  }
}

/** Keystone's exception.Conflict: "Conflict occurred attempting to store {type} - {details}." */
export class FederationConflict extends Conflict {
  constructor(type: string, details: string) {
    super(`Conflict occurred attempting to store ${type} - ${details}.`);
  }
}
