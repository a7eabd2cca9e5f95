/**
 * SIGHUP's roll: the workers of each service replaced one at a time, a new
 * worker listening before an old one is drained, so that no connection is
 * refused. A new worker that does not listen within a minute stops the roll
 * of its service; the remaining old workers keep serving.
 */
import { log } from '../../log/logger.js';
import { SERVICES, type Endpoints, type ServiceName } from './ports.js';
import type { WorkerPool } from './worker-pool.js';

const NEW_WORKER_LISTEN_TIMEOUT_MS = 60_000;

export async function rollWorkers(
  pool: WorkerPool,
  desired: Record<ServiceName, number>,
  endpoints: Endpoints,
  drainTimeoutMs: number,
  stopped: () => boolean,
): Promise<void> {
  for (const service of SERVICES) {
    pool.endpoints[service] = endpoints[service];
    const old = pool.live(service);
    for (const s of old) s.retiring = true;
    const slots = Math.max(desired[service], old.length);
    for (let i = 0; i < slots && !stopped(); i++) {
      if (i < desired[service]) {
        const fresh = pool.fork(service);
        const ok = await Promise.race([
          fresh.listened,
          new Promise<boolean>((r) =>
            setTimeout(() => {
              r(false);
            }, NEW_WORKER_LISTEN_TIMEOUT_MS).unref(),
          ),
        ]);
        if (!ok) {
          log.error(`SIGHUP: a new keystone-${service} worker did not start listening; keeping the remaining old workers`);
          for (const s of old.slice(i)) s.retiring = false;
          break;
        }
      }
      if (i < old.length) await pool.stopWorker(old[i], drainTimeoutMs);
    }
  }
}
