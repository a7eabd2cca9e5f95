/**
 * The SQLAlchemy URL of a Keystone database ([database] connection of its
 * keystone.conf): mysql+pymysql://, mysql://, mysql+mysqldb://,
 * postgresql://, postgresql+psycopg2://, with `?unix_socket=` or `?host=`
 * for a socket and `?charset=` ignored (we always read utf8mb4).
 */
export type SourceDialect = 'mysql' | 'postgresql';

export interface SourceLocation {
  dialect: SourceDialect;
  host?: string;
  port?: number;
  /** a unix socket path (MySQL) or directory (PostgreSQL) */
  socket?: string;
  user?: string;
  password?: string;
  database: string;
}

export class SourceUrlError extends Error {}

const DIALECTS: Readonly<Record<string, SourceDialect>> = {
  mysql: 'mysql',
  'mysql+pymysql': 'mysql',
  'mysql+mysqldb': 'mysql',
  'mysql+mysqlconnector': 'mysql',
  mariadb: 'mysql',
  'mariadb+pymysql': 'mysql',
  postgresql: 'postgresql',
  'postgresql+psycopg2': 'postgresql',
  postgres: 'postgresql',
};

export function parseSourceUrl(url: string): SourceLocation {
  const m = /^([a-z0-9+]+):\/\//i.exec(url);
  const dialect = m ? DIALECTS[m[1].toLowerCase()] : undefined;
  if (!m || !dialect)
    throw new SourceUrlError(
      `--from must be the SQLAlchemy URL of a Keystone database (mysql+pymysql://…, mysql://…, postgresql://…, postgresql+psycopg2://…), not ${JSON.stringify(redactUrl(url))}`,
    );
  let parsed: URL;
  try {
    parsed = new URL('keystone-source' + url.slice(m[1].length));
  } catch {
    throw new SourceUrlError(`--from is not a valid URL: ${JSON.stringify(redactUrl(url))}`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '') throw new SourceUrlError(`--from names no database: ${JSON.stringify(redactUrl(url))}`);
  const socket = parsed.searchParams.get('unix_socket') ?? parsed.searchParams.get('host') ?? undefined;
  return {
    dialect,
    host: parsed.hostname === '' ? undefined : decodeURIComponent(parsed.hostname),
    port: parsed.port === '' ? undefined : Number(parsed.port),
    socket,
    user: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    database,
  };
}

/** The URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** One line naming the source without its password. */
export function describeSource(location: SourceLocation): string {
  const kind = location.dialect === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL';
  const where = location.socket ?? `${location.host ?? 'localhost'}${location.port ? ':' + String(location.port) : ''}`;
  return `${kind} database ${location.database} at ${where}`;
}
