import t from 'tap';
import { Histogram, Registry } from 'prom-client';
import { RequestDurations } from '../../src/ops/request-durations.js';

/** The same observations through prom-client's own Histogram and through RequestDurations render the same text. */
t.test('renders exactly what prom-client Histogram renders for the same observations', async (t) => {
  const buckets = [0.005, 0.01, 0.1, 1];
  const observations: [string, string, number, number][] = [
    ['GET', '/jwks', 200, 0.001],
    ['GET', '/jwks', 200, 0.005],
    ['GET', '/jwks', 304, 0.02],
    ['POST', '/token', 400, 0.5],
    ['POST', '/token', 200, 3],
    ['GET', 'unmatched', 404, 0.01],
    ['GET', '/jwks', 503, 0.0],
  ];
  const reference = new Registry();
  const histogram = new Histogram({ name: 'd', help: 'h', labelNames: ['method', 'route', 'status_class'], buckets, registers: [reference] });
  const ours = new Registry();
  const durations = new RequestDurations('d', 'h', buckets);
  ours.registerMetric(durations as unknown as Histogram);
  for (const [method, route, status, seconds] of observations) {
    histogram.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
    durations.observe(method, route, status, seconds);
  }
  const sorted = (text: string) => text.split('\n').sort().join('\n');
  t.equal(sorted(await ours.metrics()), sorted(await reference.metrics()));
  t.match(await ours.metrics(), /d_bucket\{le="0\.1",method="GET",route="\/jwks",status_class="3xx"\} 1/);

  ours.resetMetrics();
  t.equal((await ours.metrics()).trim(), '# HELP d h\n# TYPE d histogram');
});
