import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workerRegistry } from '../../src/metrics/metrics.js';
import { primaryRegistry } from '../../src/metrics/server.js';

const dashboard = JSON.parse(readFileSync(fileURLToPath(new URL('../../../packaging/grafana/openstack-keystone.json', import.meta.url)), 'utf8'));

test('the Grafana dashboard shows every keystone metric, and only metrics that exist', () => {
  const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
  const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(keystone_[a-z_]+)/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, ''))));
  const exported = new Set([...workerRegistry.getMetricsAsArray(), ...primaryRegistry.getMetricsAsArray()].map((m) => m.name).filter((n) => n.startsWith('keystone_') && n !== 'keystone_metrics_collect_failures_total' && n !== 'keystone_http_requests_in_flight'));
  for (const name of exported) assert.ok(used.has(name), `${name} is on the dashboard`);
  for (const name of used) assert.ok(exported.has(name) || name === 'keystone_http_requests_in_flight', `${name} exists`);
  assert.ok(exprs.some((e) => e.includes('process_resident_memory_bytes')), 'process metrics of each worker');
  assert.equal(dashboard.uid, 'openstack-keystone');
});
