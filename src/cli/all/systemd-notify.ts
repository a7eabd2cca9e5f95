/**
 * sd_notify(3) for keystone-all: readiness, reloading, stopping and status
 * reported to systemd through $NOTIFY_SOCKET. Every function is a silent
 * no-op (resolving false) when NOTIFY_SOCKET is unset, i.e. when not started
 * by a Type=notify unit, and never throws.
 *
 * Node cannot send unix datagrams, so the message is sent by systemd's own
 * `systemd-notify` tool. Its process is a child of keystone-all, not the main
 * PID, which is why systemd/openstack-keystone.service has NotifyAccess=all
 * (with NotifyAccess=main systemd would drop the message); MAINPID= names the
 * primary so that systemd tracks the right process. systemd-notify (>= 246)
 * waits until systemd has processed the message, which avoids the old race
 * where a message from an already-exited sender could not be attributed to
 * the unit.
 *
 * Wiring in the primary (src/cli/all/supervisor.ts):
 *   - once every worker of both services is listening (both ports accept
 *     connections):              await notifyReady();
 *   - on SIGHUP, before rolling:  await notifyReloading();  … then notifyReady() when done
 *   - on SIGTERM, first thing:    await notifyStopping();
 *   - any time:                   notifyStatus(`public: 4 workers, admin: 4 workers`);
 *   - once ready:                 startWatchdog();  (WATCHDOG=1 every $WATCHDOG_USEC / 2 when the unit has WatchdogSec=)
 */
import { execFile } from 'node:child_process';

export interface NotifyOptions {
  /** the environment to read NOTIFY_SOCKET from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** the systemd-notify executable (default $KEYSTONE_SYSTEMD_NOTIFY or `systemd-notify` on PATH) */
  command?: string;
  /** the main PID reported to systemd (default process.pid: call these from the primary) */
  mainPid?: number;
  timeoutMs?: number;
}

/** Sends raw sd_notify assignments (e.g. 'READY=1', 'STATUS=…'). Resolves true when systemd-notify succeeded. */
export function sdNotify(assignments: string[], options: NotifyOptions = {}): Promise<boolean> {
  const env = options.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return Promise.resolve(false);
  const command = options.command ?? env.KEYSTONE_SYSTEMD_NOTIFY ?? 'systemd-notify';
  const pid = options.mainPid ?? process.pid;
  const args = [`--pid=${pid}`, ...assignments.map((a) => a.replace(/\n/g, ' '))];
  return new Promise((resolve) => {
    try {
      execFile(
        command,
        args,
        { env: { ...env, NOTIFY_SOCKET: env.NOTIFY_SOCKET }, timeout: options.timeoutMs ?? 5000, windowsHide: true },
        (err) => {
          resolve(!err);
        },
      );
    } catch {
      resolve(false);
    }
  });
}

/** READY=1: both services accept connections. Also after a reload. */
export function notifyReady(status?: string, options?: NotifyOptions): Promise<boolean> {
  return sdNotify(['READY=1', ...(status ? [`STATUS=${status}`] : [])], options);
}

/** RELOADING=1 (with MONOTONIC_USEC, as systemd >= 253 wants for Type=notify-reload): a SIGHUP roll started. */
export function notifyReloading(options?: NotifyOptions): Promise<boolean> {
  const usec = (process.hrtime.bigint() / 1000n).toString();
  return sdNotify(['RELOADING=1', `MONOTONIC_USEC=${usec}`, 'STATUS=Reloading: rolling workers'], options);
}

/** STOPPING=1: draining after SIGTERM. */
export function notifyStopping(options?: NotifyOptions): Promise<boolean> {
  return sdNotify(['STOPPING=1', 'STATUS=Stopping: draining requests'], options);
}

/** STATUS=…: free text shown by `systemctl status`. */
export function notifyStatus(text: string, options?: NotifyOptions): Promise<boolean> {
  return sdNotify([`STATUS=${text}`], options);
}

/**
 * The watchdog (WatchdogSec= in the unit): when $WATCHDOG_USEC is set (and
 * $WATCHDOG_PID, if set, names this process), sends WATCHDOG=1 every half of
 * that interval from the primary's event loop, so a primary whose loop is
 * stuck stops pinging and systemd restarts the unit. Returns a function that
 * stops the pings (on shutdown), or undefined when no watchdog is asked for.
 */
export function startWatchdog(options: NotifyOptions = {}): (() => void) | undefined {
  const env = options.env ?? process.env;
  const usec = Number(env.WATCHDOG_USEC ?? '');
  if (!env.NOTIFY_SOCKET || !Number.isInteger(usec) || usec <= 0) return undefined;
  const pid = options.mainPid ?? process.pid;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
  const everyMs = Math.max(1, Math.floor(usec / 2000));
  const ping = () => void sdNotify(['WATCHDOG=1'], options);
  ping();
  const timer = setInterval(ping, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}
