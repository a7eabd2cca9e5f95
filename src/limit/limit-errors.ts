/** The unified limit errors a client sees, with Keystone's codes and messages (keystone/exception.py). */
import { Forbidden, NotFound } from '../common/errors.js';

export class RegisteredLimitNotFound extends NotFound {
  constructor(id: string) {
    super(`Could not find registered limit for ${id}.`);
  }
}

export class LimitNotFound extends NotFound {
  constructor(id: string) {
    super(`Could not find limit for ${id}.`);
  }
}

export class NoLimitReference extends Forbidden {
  constructor() {
    super('Unable to create a limit that has no corresponding registered limit.');
  }
}

export class RegisteredLimitError extends Forbidden {
  constructor(id: string) {
    super(`Unable to update or delete registered limit ${id} because there are project limits associated with it.`);
  }
}

export class InvalidLimit extends Forbidden {
  constructor(reason: string) {
    super(`Invalid resource limit: ${reason}.`);
  }
}
