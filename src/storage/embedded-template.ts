/**
 * A freshly initialised PGlite data directory, dumped once at build time
 * (`npm run build` runs embedded-template-build.js) and loaded when
 * keystone-all or keystone-manage creates a new embedded database: loading it
 * takes about a third of the time of PGlite's own initdb, which runs in wasm on
 * every first start otherwise. The file is named after the PGlite version that
 * wrote it; any other version, or no file, means PGlite's initdb as before.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let pgliteVersion: string | undefined;

/** The installed @electric-sql/pglite's version (its package.json is not exported, so found on disk). */
export function installedPgliteVersion(): string {
  if (pgliteVersion !== undefined) return pgliteVersion;
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === '@electric-sql/pglite' && parsed.version) return (pgliteVersion = parsed.version);
    }
    const up = dirname(dir);
    if (up === dir) return (pgliteVersion = 'unknown');
    dir = up;
  }
}

/** Where the template of the installed PGlite version lives (beside this module, in dist/). */
export function embeddedTemplatePath(): string {
  return fileURLToPath(new URL(`./pglite-initdb-${installedPgliteVersion()}.tar.gz`, import.meta.url));
}

/** The template as PGlite's `loadDataDir` takes it, when this build has one for the installed PGlite. */
export function embeddedTemplate(): Blob | undefined {
  const path = embeddedTemplatePath();
  return existsSync(path) ? new Blob([readFileSync(path)]) : undefined;
}
