/** The catalog errors a client sees, with Keystone's codes and messages (keystone/exception.py). */
import { Forbidden, KeystoneError, NotFound, ValidationError } from '../common/errors.js';

export class RegionNotFound extends NotFound {
  constructor(id: string | null | undefined) {
    super(`Could not find region: ${id}.`);
  }
}
export class ServiceNotFound extends NotFound {
  constructor(id: string) {
    super(`Could not find service: ${id}.`);
  }
}
export class EndpointNotFound extends NotFound {
  constructor(id: string) {
    super(`Could not find endpoint: ${id}.`);
  }
}
export class EndpointGroupNotFound extends NotFound {
  constructor(id: string) {
    super(`Could not find Endpoint Group: ${id}.`);
  }
}

export class CircularRegionHierarchyError extends KeystoneError {
  override readonly code = 400;
  override readonly title = 'Bad Request';
  constructor(parentRegionId: string) {
    super(`The specified parent region ${parentRegionId} would create a circular region hierarchy.`);
  }
}

export class RegionDeletionError extends Forbidden {
  constructor(regionId: string) {
    super(`Unable to delete region ${regionId} because it or its child regions have associated endpoints.`);
  }
}

export class URLValidationError extends ValidationError {
  constructor(url: string) {
    super(`Cannot create an endpoint with an invalid URL: ${url}.`, false);
  }
}

/** Keystone's ValidationError(attribute=…, target=…). */
export class ExpectingToFind extends ValidationError {
  constructor(attribute: string, target: string) {
    super(`Expecting to find ${attribute} in ${target}.`);
  }
}

/** Keystone's StringLengthExceeded: a value longer than its column. */
export class StringLengthExceeded extends ValidationError {
  constructor(value: string, column: string, length: number) {
    super(`String length exceeded. The length of string '${value}' exceeds the limit of column ${column}(CHAR(${length})).`, false);
  }
}

export function assertLength(value: string | null | undefined, column: string, length: number): void {
  if (typeof value === 'string' && value.length > length) throw new StringLengthExceeded(value, column, length);
}
