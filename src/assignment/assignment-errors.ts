/**
 * The assignment errors a client sees, with Keystone's codes and messages
 * (keystone/exception.py). Forbidden ones that Keystone treats as security
 * errors show their detail only in [DEFAULT] insecure_debug mode.
 */
import { Forbidden, NotFound } from '../common/errors.js';

const AMENDMENT = '(Disable insecure_debug mode to suppress these details.)';

export class RoleAssignmentNotFound extends NotFound {
  constructor(roleId: string, actorId: string, targetId: string) {
    super(`Could not find role assignment with role: ${roleId}, user or group: ${actorId}, project, domain, or system: ${targetId}.`);
  }
}

export class ImpliedRoleNotFound extends NotFound {
  constructor(priorRoleId: string, impliedRoleId: string) {
    super(`${priorRoleId} does not imply ${impliedRoleId}.`);
  }
}

/** A security error: the detail only with insecure_debug. */
export class InvalidImpliedRole extends Forbidden {
  constructor(roleId: string, insecureDetail?: string) {
    super(insecureDetail ? `${insecureDetail} ${AMENDMENT}` : `${roleId} cannot be an implied roles.`);
  }
}

export class DomainSpecificRoleMismatch extends Forbidden {
  constructor(projectId: string, roleId: string) {
    super(`Project ${projectId} must be in the same domain as the role ${roleId} being assigned.`);
  }
}

export class ResourceUpdateForbidden extends Forbidden {
  constructor(type: string, resourceId: string) {
    super(`Unable to update immutable ${type} resource: \`${resourceId}. Set resource option "immutable" to false first.`);
  }
}

export class ResourceDeleteForbidden extends Forbidden {
  constructor(type: string, resourceId: string) {
    super(`Unable to delete immutable ${type} resource: \`${resourceId}. Set resource option "immutable" to false first.`);
  }
}
