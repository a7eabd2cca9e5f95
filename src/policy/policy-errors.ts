/** The policy errors a client sees, with Keystone's codes and messages (keystone/exception.py). */
import { NotFound } from '../common/errors.js';

export class PolicyNotFound extends NotFound {
  constructor(id: string) {
    super(`Could not find policy: ${id}.`);
  }
}
