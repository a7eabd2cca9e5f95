/** The endpoint policy errors a client sees, with Keystone's codes and messages (keystone/exception.py). */
import { Forbidden, NotFound } from '../common/errors.js';
import type { AssociationTarget } from './endpoint-policy-backend.js';

export class PolicyAssociationNotFound extends NotFound {
  constructor() {
    super('Could not find policy association.');
  }
}

/** Keystone's InvalidPolicyAssociation: only an endpoint, a service, or a service in a region. */
export class InvalidPolicyAssociation extends Forbidden {
  constructor(target: AssociationTarget) {
    const show = (v: string | null) => (v === null ? 'None' : v);
    super(
      'Invalid mix of entities for policy association: only Endpoint, Service, or Region+Service allowed. ' +
        `Request was - Endpoint: ${show(target.endpointId)}, Service: ${show(target.serviceId)}, Region: ${show(target.regionId)}.`,
    );
  }
}

/** No association reaches the endpoint (Keystone's plain NotFound with this message). */
export class NoPolicyForEndpoint extends NotFound {
  constructor(endpointId: string) {
    super(`No policy is associated with endpoint ${endpointId}.`);
  }
}
