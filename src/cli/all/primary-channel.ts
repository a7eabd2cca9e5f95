/** A worker's side of the IPC channel to keystone-all's primary. */
import { MSG_LISTENING, MSG_SYNC, MSG_SYNC_ACK, type WorkerMessage } from './worker-messages.js';

let syncId = 0;

/**
 * A round trip over the IPC channel: everything the primary sent before its
 * answer (e.g. a connection handed to this worker just before it stopped
 * listening) has been processed here, and everything sent from here (the
 * refusal of such a connection, which makes the primary hand it to another
 * worker) has reached it. Resolves after 2 s at most, or at once without a
 * channel.
 */
export function syncWithPrimary(): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) {
      resolve();
      return;
    }
    const id = ++syncId;
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      resolve();
    }, 2000);
    const onMessage = (msg: unknown) => {
      const m = msg as WorkerMessage | undefined;
      if (m?.type === MSG_SYNC_ACK && m.id === id) {
        clearTimeout(timer);
        process.off('message', onMessage);
        resolve();
      }
    };
    process.on('message', onMessage);
    process.send({ type: MSG_SYNC, id }, undefined, undefined, () => undefined);
  });
}

/** Tells the primary this worker listens (on the port the OS gave when asked for 0). */
export function announceListening(service: string, host: string, port: number): void {
  process.send?.({ type: MSG_LISTENING, service, host, port });
}
