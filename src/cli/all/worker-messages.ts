/** The IPC messages between keystone-all's primary and its workers (node:cluster's channel). */

/** worker → primary: listening, on this host and port */
export const MSG_LISTENING = 'keystone:worker-listening';
/** primary → worker: drain and exit, in-flight requests given timeoutMs */
export const MSG_SHUTDOWN = 'keystone:worker-shutdown';
/** worker → primary, answered by MSG_SYNC_ACK with the same id: a round trip over the channel */
export const MSG_SYNC = 'keystone:worker-sync';
export const MSG_SYNC_ACK = 'keystone:worker-sync-ack';

export interface WorkerMessage {
  type?: string;
  id?: number;
  host?: string;
  port?: number;
  timeoutMs?: number;
}

/** The worker's environment: what the primary tells a worker it forks. */
export const WORKER_ENV = {
  service: 'KEYSTONE_WORKER_SERVICE',
  host: 'KEYSTONE_WORKER_HOST',
  port: 'KEYSTONE_WORKER_PORT',
  configSources: 'KEYSTONE_CONFIG_SOURCES',
  embeddedSocketDir: 'KEYSTONE_EMBEDDED_SOCKET_DIR',
  debug: 'KEYSTONE_DEBUG',
} as const;
