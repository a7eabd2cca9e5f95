/**
 * Reading the primary's /metrics in tests: the Prometheus text format parsed
 * into samples and metric families.
 *
 *   const url = await metricsUrlOf(ks);                       // from keystone-all's "metrics listening on …" line
 *   const { samples, types } = await scrape(url);
 *   sum(samples, 'keystone_http_request_duration_seconds_count', { service: 'public', status: '200' });
 */
import type { KeystoneProcess } from '../helpers/keystone-process.js';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  samples: Sample[];
  /** metric family name → its # TYPE (counter, gauge, histogram, …) */
  types: Map<string, string>;
  text: string;
}

export function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2]!;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types, text };
}

export function sum(samples: Sample[], name: string, filter: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(filter).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

/** The primary's metrics URL, from its log line (the listener starts once every worker listens). */
export async function metricsUrlOf(ks: KeystoneProcess): Promise<string> {
  const m = await ks.waitForOutput(/metrics listening on (http:\/\/\S+)/);
  return m[1];
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return parseExposition(await res.text());
}
