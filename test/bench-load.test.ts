import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { loadRowsAlternating, type RowSpec } from '../bench/lib/load.js';

t.test('loadRowsAlternating measures its rows in alternate runs, each warmed up first, and gives each its own figures', async (t) => {
  // One path per run: the server records when a path starts to be hit after another one.
  const runsSeen: string[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    if (runsSeen.at(-1) !== path) runsSeen.push(path);
    response.setHeader('content-type', 'application/json');
    response.end(path === '/b' ? '{"b":true}' : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const spec = (path: string): RowSpec => ({ origin, expectStatus: 200, serverPid: process.pid, connections: 2, seconds: 0.2, runs: 2, warmupSeconds: 0.1, request: { path } });

  const [a, b] = await loadRowsAlternating([spec('/a'), spec('/b')]);

  t.same(runsSeen, ['/a', '/b', '/a', '/b', '/a', '/b'], 'warm-ups, then A B A B');
  t.equal(a?.runs.length, 2);
  t.equal(b?.runs.length, 2);
  for (const row of [a, b]) {
    t.ok((row?.rps ?? 0) > 0, 'req/s');
    t.ok(row?.runs.every((run) => run.unexpected === 0 && run.errors === 0), 'only expected answers');
  }
});
