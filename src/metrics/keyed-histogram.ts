/**
 * A Prometheus histogram for the request path: observed by a key the caller
 * already holds (its label values joined), so that an observation is a Map
 * look-up and a bucket increment. prom-client's Histogram validates and
 * hashes the label object on every observe (about 0.9 µs, a few percent of
 * a validation answered from memory); this one does that once per key.
 *
 * It registers in a prom-client Registry like any metric and answers get()
 * in the shape prom-client's Histogram does (cumulative `_bucket` values
 * with `le`, `+Inf`, `_sum`, `_count`), so scrapes, the registry's default
 * labels and the cluster aggregation treat it as one.
 */
import type { Metric, Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string>;

interface ValueWithName {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/** What prom-client's metrics answer to get() (its typings give `type` as a numeric enum; at run time it is the name). */
export interface HistogramSnapshot {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: ValueWithName[];
}

export interface Series<L extends string> {
  labels: Labels<L>;
  /** observations per bucket (not cumulative); the last slot counts those above every bound */
  counts: number[];
  sum: number;
  count: number;
}

export interface KeyedHistogramOptions<L extends string> {
  name: string;
  help: string;
  /** the label names of its series (they type the labels each series is given) */
  labelNames: readonly L[];
  buckets: readonly number[];
  registers: Registry[];
}

export class KeyedHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Series<L>>();

  constructor(options: KeyedHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    // a Registry only needs a metric's name and get()
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** One observation of `value` for the series `key` names; `labels` is called only the first time the key is seen. */
  observe(key: string, labels: () => Labels<L>, value: number): void {
    this.observeIn(this.seriesOf(key, labels), value);
  }

  /** The series `key` names, for a caller that observes it often: `observeIn(series, value)` skips the look-up. */
  seriesOf(key: string, labels: () => Labels<L>): Series<L> {
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels: labels(), counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    return s;
  }

  observeIn(s: Series<L>, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Every series back to zero (kept, so that a caller's series stays the one scraped). */
  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  get(): Promise<HistogramSnapshot> {
    const values: ValueWithName[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i];
        values.push({ labels: { le: this.bounds[i], ...s.labels }, value: acc, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }
}
