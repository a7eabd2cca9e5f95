/**
 * The Grafana dashboard (packaging/grafana/openstack-keystone.json) and the
 * Prometheus alerting rules (packaging/prometheus/keystone-alerts.yaml)
 * against a real scrape of a running keystone-all: every metric they name
 * exists (a family with its # TYPE, histogram series under a histogram), and
 * every label they match on is a label of that metric; the dashboard shows
 * every keystone_* family. With promtool installed, the rules also pass
 * `promtool check rules`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startKeystone, type KeystoneProcess } from '../helpers/keystone-process.js';
import { issueToken } from '../process/http-client.js';
import { metricsUrlOf, scrape, type Scrape } from './scrape.js';

const DASHBOARD = fileURLToPath(new URL('../../../packaging/grafana/openstack-keystone.json', import.meta.url));
const RULES = fileURLToPath(new URL('../../../packaging/prometheus/keystone-alerts.yaml', import.meta.url));

/** PromQL words that are not metric names. */
const PROMQL_WORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'inf',
  'nan',
]);
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['job', 'instance', 'le']);

interface Reference {
  metric: string;
  labels: string[];
  expr: string;
}

/** The metric names of a PromQL expression, with the label names matched on each. */
function metricReferences(expr: string): Reference[] {
  const refs: Reference[] = [];
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  for (const m of text.matchAll(/(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?(\s*\()?/g)) {
    const [, name, matchers, call] = m;
    if (call || PROMQL_WORDS.has(name.toLowerCase())) continue; // a function, a keyword
    const labels = [...(matchers ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]);
    refs.push({ metric: name, labels, expr });
  }
  return refs;
}

/** Every `expr:` of a Prometheus rule file (single-line or a block scalar), with its alert's name. */
function ruleExpressions(yaml: string): Array<{ alert: string; expr: string }> {
  const lines = yaml.split('\n');
  const out: Array<{ alert: string; expr: string }> = [];
  let alert = '';
  for (let i = 0; i < lines.length; i++) {
    const name = /^\s*- alert:\s*(\S+)/.exec(lines[i]);
    if (name) alert = name[1]!;
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (!/^[|>][-+]?$/.test(m[2].trim())) {
      out.push({ alert, expr: m[2].trim() });
      continue;
    }
    const body: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > m[1].length)) body.push(lines[++i].trim());
    out.push({ alert, expr: body.join(' ').trim() });
  }
  return out;
}

function familyOf(name: string, s: Scrape): string | undefined {
  if (s.types.has(name)) return name;
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return base !== name && s.types.get(base) === 'histogram' ? base : undefined;
}

function checkReferences(source: string, refs: Reference[], s: Scrape): void {
  assert.ok(refs.length > 0, `${source} names metrics`);
  for (const ref of refs) {
    const family = familyOf(ref.metric, s);
    assert.ok(family, `${source}: ${ref.metric} is in a real scrape (${ref.expr})`);
    const series = s.samples.filter((x) => x.name === ref.metric);
    if (series.length === 0) continue; // a counter nothing has incremented yet: its # TYPE is there, no series to read labels from
    for (const label of ref.labels) {
      if (TARGET_LABELS.has(label)) continue;
      assert.ok(
        series.some((x) => label in x.labels),
        `${source}: ${ref.metric} has a label ${label} (${ref.expr})`,
      );
    }
  }
}

let ks: KeystoneProcess;
let real: Scrape;

before(async () => {
  ks = await startKeystone({ config: { metrics: { enabled: true } } });
  // a little traffic, so that the labelled series exist: an issue, validations, a failed authentication
  const issued = await issueToken(ks.publicUrl, ks.adminPassword);
  const token = String(issued.headers['x-subject-token']);
  for (let i = 0; i < 3; i++)
    await (await fetch(`${ks.publicUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } })).arrayBuffer();
  assert.equal((await issueToken(ks.publicUrl, 'wrong-password')).status, 401);
  real = await scrape(await metricsUrlOf(ks));
});

after(async () => {
  await ks?.stop();
});

test('the Grafana dashboard names only metrics and labels of a real scrape, and shows every keystone metric', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string;
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ query?: unknown }> };
  };
  assert.equal(dashboard.uid, 'openstack-keystone');
  const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  const variables = dashboard.templating.list
    .map((v) => v.query)
    .filter((q): q is string => typeof q === 'string' && q.startsWith('label_values('));
  const refs = [...exprs, ...variables.map((q) => q.replace(/^label_values\((.*),\s*\w+\)$/, '$1'))].flatMap(metricReferences);
  checkReferences('the dashboard', refs, real);
  const shown = new Set(refs.map((r) => familyOf(r.metric, real)));
  for (const family of [...real.types.keys()].filter((n) => n.startsWith('keystone_'))) {
    if (family === 'keystone_metrics_collect_failures_total' || family === 'keystone_http_requests_in_flight') continue;
    assert.ok(shown.has(family), `${family} is on the dashboard`);
  }
  assert.ok(shown.has('process_resident_memory_bytes'), 'process metrics of each worker');
});

test('the Prometheus alerting rules name only metrics and labels of a real scrape, and cover what the README says to monitor', () => {
  const rules = ruleExpressions(readFileSync(RULES, 'utf8'));
  assert.ok(rules.length >= 10, `${rules.length} rules`);
  for (const rule of rules) assert.ok(rule.alert && rule.expr, `a rule with an alert name and an expression: ${JSON.stringify(rule)}`);
  const refs = rules.flatMap((r) => metricReferences(r.expr).map((ref) => ({ ...ref, expr: `${r.alert}: ${ref.expr}` })));
  checkReferences('the alerting rules', refs, real);
  const used = new Set(refs.map((r) => familyOf(r.metric, real)));
  // README, "What to monitor"
  for (const family of [
    'keystone_worker_restarts_total',
    'keystone_http_request_duration_seconds',
    'keystone_db_query_errors_total',
    'keystone_db_pool_connections',
    'keystone_cache_hits_total',
    'keystone_cache_misses_total',
    'keystone_fernet_keys',
    'keystone_fernet_primary_key_age_seconds',
    'process_resident_memory_bytes',
    'nodejs_heap_used_after_major_gc_bytes',
  ]) {
    assert.ok(used.has(family), `an alert on ${family}`);
  }
});

const promtool = spawnSync('promtool', ['--version']).error === undefined;

// .ci/run installs it: in CI its absence fails the test rather than skipping it
const skipPromtool = promtool || process.env.CI === 'true' ? false : 'promtool not installed (Debian: prometheus)';

test('promtool accepts the alerting rules', { skip: skipPromtool }, () => {
  const r = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('metricReferences reads metric and label names out of PromQL', () => {
  assert.deepEqual(
    metricReferences(
      'sum by (le, service) (rate(keystone_x_bucket{job=~"$job", status=~"5.."}[$__rate_interval])) / ignoring(a) up > 2 * 1024',
    ).map((r) => [r.metric, r.labels]),
    [
      ['keystone_x_bucket', ['job', 'status']],
      ['up', []],
    ],
  );
  assert.deepEqual(ruleExpressions('- alert: A\n  expr: |\n    a\n      + b\n  labels: {}\n- alert: B\n  expr: c > 1\n'), [
    { alert: 'A', expr: 'a + b' },
    { alert: 'B', expr: 'c > 1' },
  ]);
});
