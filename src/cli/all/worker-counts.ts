import { availableParallelism } from 'node:os';
import type { KeystoneConfig } from '../../config/options.js';
import type { ServiceName } from './ports.js';

/** The default worker count of a service: ceil(CPUs × 1.5). */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.ceil(availableParallelism() * 1.5));
}

/** How many workers each service runs: [eventlet_server] public_workers / admin_workers, else the default. */
export function desiredWorkers(conf: KeystoneConfig): Record<ServiceName, number> {
  return {
    public: conf.eventlet_server.public_workers ?? defaultWorkerCount(),
    admin: conf.eventlet_server.admin_workers ?? defaultWorkerCount(),
  };
}
