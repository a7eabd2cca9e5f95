/**
 * The .rpm's spec (packaging/rpm/openstack-keystone-nodejs.spec.in, as
 * packaging/build-packages.mjs --spec-only writes it) passes rpmlint without
 * errors. Debian's rpmlint package; .ci/run installs it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CI, has, REPO, sh } from './package-build.js';

test(
  'rpmlint: the spec has no errors',
  { skip: !has('rpmlint') && !CI ? 'rpmlint is not installed (apt-get install rpmlint)' : false },
  () => {
    assert.ok(has('rpmlint'), 'CI=true: rpmlint is required');
    const out = mkdtempSync(join(tmpdir(), 'keystone-spec-'));
    try {
      const { spec } = JSON.parse(
        sh(process.execPath, [join(REPO, 'packaging/build-packages.mjs'), '--spec-only', '--out', out]).trim(),
      ) as { spec: string };
      assert.match(readFileSync(spec, 'utf8'), /^Name:\s+openstack-keystone-nodejs$/m);
      const r = spawnSync('rpmlint', [spec], { encoding: 'utf8' });
      const report = `${r.stdout}${r.stderr}`;
      assert.match(report, /1 specfiles checked; 0 errors/, report);
      assert.doesNotMatch(report, /: E: /, report);
      // and it does find errors: a hard-coded library path
      const broken = join(out, 'broken.spec');
      sh('sh', ['-c', `sed 's#%{_libdir}/openstack-keystone#/usr/lib/openstack-keystone#' '${spec}' > '${broken}'`]);
      const b = spawnSync('rpmlint', [broken], { encoding: 'utf8' });
      assert.match(`${b.stdout}${b.stderr}`, /: E: hardcoded-library-path/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
);
