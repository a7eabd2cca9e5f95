/**
 * Where the two services listen: public on [eventlet_server]
 * public_bind_host:public_port (5000), admin on admin_bind_host:admin_port
 * (35357); a port of 0 resolved to one free port per service before the
 * workers are forked, so that the workers of a service share it; the
 * $state_path/ports file naming them once they listen; and how a host is
 * written in a URL.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { join } from 'node:path';
import type { KeystoneConfig } from '../../config/options.js';
import { log } from '../../log/logger.js';

export type ServiceName = 'public' | 'admin';
export const SERVICES: readonly ServiceName[] = ['public', 'admin'];

export interface Endpoint {
  host: string;
  port: number;
}

export type Endpoints = Record<ServiceName, Endpoint>;

/** The configured endpoints; with `current`, a port of 0 keeps the port already chosen (a SIGHUP reload). */
export function configuredEndpoints(conf: KeystoneConfig, current?: Endpoints): Endpoints {
  const es = conf.eventlet_server;
  return {
    public: { host: es.public_bind_host, port: es.public_port || (current?.public.port ?? 0) },
    admin: { host: es.admin_bind_host, port: es.admin_port || (current?.admin.port ?? 0) },
  };
}

/** The configured endpoints with a free port picked for each service configured with port 0 (held together, so they differ). */
export async function resolvePorts(conf: KeystoneConfig): Promise<Endpoints> {
  const wanted = configuredEndpoints(conf);
  const probes: NetServer[] = [];
  try {
    for (const s of SERVICES) {
      if (wanted[s].port !== 0) continue;
      const probe = createNetServer();
      probes.push(probe);
      wanted[s].port = await new Promise<number>((resolve, reject) => {
        probe.once('error', reject);
        probe.listen(0, wanted[s].host, () => {
          resolve((probe.address() as AddressInfo).port);
        });
      });
    }
  } finally {
    await Promise.all(probes.map((p) => new Promise((r) => p.close(r))));
  }
  return wanted;
}

/** The host a client on this machine reaches a bind address at (the banner's URLs). */
export function displayHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** A bind address as written in a URL (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** $state_path/ports: the primary's pid and where each service listens (tests and scripts read it). */
export function writePortsFile(stateDir: string, endpoints: Endpoints, urls: Partial<Record<ServiceName, string>>): void {
  const data = {
    pid: process.pid,
    public: { host: endpoints.public.host, port: endpoints.public.port, url: urls.public },
    admin: { host: endpoints.admin.host, port: endpoints.admin.port, url: urls.admin },
  };
  try {
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, 'ports'), JSON.stringify(data, null, 2) + '\n');
  } catch (err) {
    log.debug(`not writing ${join(stateDir, 'ports')}: ${(err as Error).message}`);
  }
}
