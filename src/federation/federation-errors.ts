/** The federation errors a client sees, with Keystone's codes and messages (keystone/exception.py). */
import { Conflict, NotFound } from '../common/errors.js';

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

/** Keystone's exception.Conflict: "Conflict occurred attempting to store {type} - {details}." */
export class FederationConflict extends Conflict {
  constructor(type: string, details: string) {
    super(`Conflict occurred attempting to store ${type} - ${details}.`);
  }
}
