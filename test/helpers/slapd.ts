/**
 * A real OpenLDAP directory for a test file: Debian's slapd on loopback, in a
 * temporary directory with its own slapd.conf (schemas core, cosine,
 * inetorgperson, nis; one mdb database), an ldap:// listener and an ldaps://
 * one whose certificate comes from a throwaway CA made with openssl. Start it
 * once per file (`startSlapd` in `before`), seed it with `add` (ldapadd).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SLAPD_BINARY = '/usr/sbin/slapd';
export const SLAPD_SUFFIX = 'dc=example,dc=org';
export const SLAPD_ADMIN_DN = `cn=admin,${SLAPD_SUFFIX}`;
export const SLAPD_ADMIN_PASSWORD = 'admin-secret';

export interface Slapd {
  /** ldap://127.0.0.1:<port> */
  url: string;
  /** ldaps://localhost:<port> (the certificate names localhost and 127.0.0.1) */
  ldapsUrl: string;
  /** the throwaway CA's certificate (PEM file) */
  caFile: string;
  suffix: string;
  adminDn: string;
  adminPassword: string;
  /** ldapadd as the admin */
  add(ldif: string): void;
  /** ldapmodify as the admin */
  modify(ldif: string): void;
  /** ldapadd with the ManageDsaIT control: referral objects are stored, not followed */
  addReferral(ldif: string): void;
  stop(): Promise<void>;
}

export function slapdAvailable(): boolean {
  return existsSync(SLAPD_BINARY) && existsSync('/usr/bin/ldapadd');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=keystone test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost']);
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext]);
  return { caFile, certFile, keyFile };
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${String(child.exitCode)}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`slapd did not listen on ${String(port)}: ${log()}`);
}

export async function startSlapd(): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'keystone-slapd-'));
  const dbDir = join(dir, 'db');
  mkdirSync(dbDir);
  const { caFile, certFile, keyFile } = makeCertificates(dir);
  const schema = (name: string) => `include /etc/ldap/schema/${name}.schema`;
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      schema('core'),
      schema('cosine'),
      schema('inetorgperson'),
      schema('nis'),
      `pidfile ${join(dir, 'slapd.pid')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `TLSCACertificateFile ${caFile}`,
      `TLSCertificateFile ${certFile}`,
      `TLSCertificateKeyFile ${keyFile}`,
      'database mdb',
      'maxsize 104857600',
      `suffix "${SLAPD_SUFFIX}"`,
      `rootdn "${SLAPD_ADMIN_DN}"`,
      `rootpw ${SLAPD_ADMIN_PASSWORD}`,
      `directory ${dbDir}`,
      'index objectClass eq',
      'access to attrs=userPassword by self read by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const ldapsPort = await freePort();
  let output = '';
  const child = spawn(
    SLAPD_BINARY,
    ['-f', join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${String(port)}/ ldaps://127.0.0.1:${String(ldapsPort)}/`, '-d', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await waitForPort(port, child, () => output);
  await waitForPort(ldapsPort, child, () => output);
  const url = `ldap://127.0.0.1:${String(port)}`;
  const ldapTool = (tool: string, ldif: string, extra: string[] = []) =>
    execFileSync(tool, ['-x', ...extra, '-H', url, '-D', SLAPD_ADMIN_DN, '-w', SLAPD_ADMIN_PASSWORD], {
      input: ldif,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  ldapTool('ldapadd', `dn: ${SLAPD_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example\n`);
  return {
    url,
    ldapsUrl: `ldaps://localhost:${String(ldapsPort)}`,
    caFile,
    suffix: SLAPD_SUFFIX,
    adminDn: SLAPD_ADMIN_DN,
    adminPassword: SLAPD_ADMIN_PASSWORD,
    add: (ldif) => void ldapTool('ldapadd', ldif),
    modify: (ldif) => void ldapTool('ldapmodify', ldif),
    addReferral: (ldif) => void ldapTool('ldapadd', ldif, ['-M']),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
