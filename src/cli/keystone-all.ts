/**
 * keystone-all: the server, as a Keystone operator runs it.
 *
 *   keystone-all [--config-file F]… [--config-dir D]… [--debug] start
 *
 * A primary process (title `keystone-all`) readies the database (embedded
 * PGlite hosted here, or PostgreSQL; the first run creates the schema, the
 * keys and the admin user), then forks and supervises `keystone-public`
 * workers on :5000 and `keystone-admin` workers on :35357 (node:cluster).
 * SIGTERM / SIGINT drain and stop, SIGHUP reloads keystone.conf and rolls the
 * workers, SIGUSR1 reopens log files.
 *
 * This file is the entry point of the primary and of the workers (they are
 * forked from it); the jobs live in src/cli/all/:
 *   args.ts                 the command line
 *   primary.ts              the primary, from the command line to supervised workers
 *   ports.ts                where the services listen, the $state_path/ports file
 *   database-startup.ts     the database before the workers; first-run.ts: schema, keys, admin user
 *   supervisor.ts           readiness, signals, shutdown, reload (rolling-reload.ts, systemd-notify.ts)
 *   worker-pool.ts          forking, following and replacing the workers
 *   worker.ts               a worker: the app served on its port, drained on request
 */
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { describeError, oneLine } from './cli-config.js';
import { invokedDirectly } from './invoked-directly.js';
import { primaryMain } from './all/primary.js';
import { PROGRAM } from './all/args.js';
import { workerMain, workerService } from './all/worker.js';

/** The entry point: the primary's command line, or a forked worker. */
export function run(argv: string[] = process.argv.slice(2)): void {
  const main = cluster.isPrimary ? primaryMain(argv, fileURLToPath(import.meta.url)) : workerMain();
  main.catch((err: unknown) => {
    process.stderr.write(`${cluster.isPrimary ? PROGRAM : `keystone-${workerService()}`}: ${oneLine(describeError(err))}\n`);
    process.exit(1);
  });
}

if (invokedDirectly(import.meta.url)) run();
