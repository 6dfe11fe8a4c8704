type Labels = Record<'method' | 'route' | 'status_class', string>;

/** One line of the exposition, in the shape prom-client's Registry renders. */
interface Sample {
  metricName: string;
  labels: Labels | (Labels & { le: number | string });
  value: number;
}

interface Series {
  labels: Labels;
  /** Observations at or below each bucket's bound (cumulative, as Prometheus wants them). */
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * The per-request duration histogram. prom-client's Histogram validates and hashes its labels on
 * every observation, ~6 % of a discovery request's CPU; this records into a series found by one
 * Map lookup and builds prom-client's exposition objects only when /metrics is scraped.
 */
export class RequestDurations {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
  ) {}

  /** `route` is the route pattern (or 'unmatched'), never a raw URL. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const statusClass = status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : status >= 200 ? '2xx' : '1xx';
    const key = `${method} ${statusClass} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels: { method, route, status_class: statusClass }, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    // Buckets are cumulative: every bound at or above the duration counts it.
    for (let index = this.buckets.length - 1; index >= 0 && seconds <= (this.buckets[index] ?? 0); index--) series.counts[index] = (series.counts[index] ?? 0) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** What prom-client's Registry reads when it renders the metric. */
  get(): { name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Sample[] } {
    const values: Sample[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((bound, index) => {
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, ...labels }, value: counts[index] ?? 0 });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', ...labels }, value: count });
      values.push({ metricName: `${this.name}_sum`, labels, value: sum }, { metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Registry.resetMetrics() calls it on every metric. */
  reset(): void {
    this.series.clear();
  }
}
