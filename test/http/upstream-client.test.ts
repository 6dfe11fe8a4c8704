import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { UpstreamClient, type UpstreamClientOptions } from '../../src/http/upstream-client.js';

interface Upstream {
  url: string;
  /** Requests the server received. */
  hits: () => number;
  /** TCP connections the server accepted. */
  connections: () => number;
}

/** A loopback HTTP server for this test only; `handler` also gets the 1-based request number. */
async function upstream(t: Test, handler: (req: IncomingMessage, res: ServerResponse, hit: number) => void): Promise<Upstream> {
  let hits = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    hits += 1;
    handler(req, res, hits);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits: () => hits, connections: () => connections };
}

function client(t: Test, options: UpstreamClientOptions): UpstreamClient {
  const http = new UpstreamClient(options);
  t.teardown(() => http.close());
  return http;
}

const transportFailure = (failure: string) => ({ name: 'UpstreamTransportError', failure });

t.test('returns the status, content type and body of a response', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
    res.end('{"id":3827731058,"nickname":"홍길동"}');
  });
  const response = await client(t, { timeoutMs: 1000 }).send({ method: 'GET', url: `${server.url}/v2/user/me` });
  t.same(response, { status: 200, contentType: 'application/json;charset=UTF-8', body: '{"id":3827731058,"nickname":"홍길동"}' });
});

t.test('sends the method, headers and body it is given', async (t) => {
  const server = await upstream(t, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString() }));
    });
  });
  const response = await client(t, { timeoutMs: 1000 }).send({
    method: 'POST',
    url: `${server.url}/oauth/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: 'grant_type=authorization_code&code=abc',
  });
  t.same(JSON.parse(response.body), {
    method: 'POST',
    url: '/oauth/token',
    contentType: 'application/x-www-form-urlencoded;charset=utf-8',
    body: 'grant_type=authorization_code&code=abc',
  });
});

t.test('returns an error status as a response, with an empty content type when none is sent', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.writeHead(400);
    res.end('bad');
  });
  t.same(await client(t, { timeoutMs: 1000 }).send({ method: 'POST', url: server.url }), { status: 400, contentType: '', body: 'bad' });
});

t.test('fails with timeout when the headers never come', async (t) => {
  const server = await upstream(t, () => undefined);
  const started = performance.now();
  await t.rejects(client(t, { timeoutMs: 200 }).send({ method: 'POST', url: server.url }), transportFailure('timeout'));
  t.ok(performance.now() - started < 1000, 'gives up near the deadline');
});

t.test('fails with timeout when the body trickles past the deadline', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"id":');
    const timer = setInterval(() => res.write(' '), 50);
    res.on('close', () => {
      clearInterval(timer);
    });
  });
  const started = performance.now();
  await t.rejects(client(t, { timeoutMs: 200 }).send({ method: 'GET', url: server.url }), transportFailure('timeout'));
  t.ok(performance.now() - started < 1000, 'gives up near the deadline');
});

t.test('does not retry a timeout, even for an idempotent request', async (t) => {
  const server = await upstream(t, () => undefined);
  await t.rejects(client(t, { timeoutMs: 200 }).send({ method: 'GET', url: server.url, idempotent: true }), transportFailure('timeout'));
  t.equal(server.hits(), 1);
});

t.test('fails with network when the connection is refused', async (t) => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => {
    resolve();
  }));
  await t.rejects(client(t, { timeoutMs: 1000 }).send({ method: 'GET', url: `http://127.0.0.1:${port}/` }), transportFailure('network'));
});

t.test('fails with too_large when the body exceeds maxBodyBytes', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('x'.repeat(10_000));
  });
  await t.rejects(client(t, { timeoutMs: 1000, maxBodyBytes: 1024 }).send({ method: 'GET', url: server.url }), transportFailure('too_large'));
});

t.test('accepts a body of exactly maxBodyBytes', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.end('x'.repeat(1024));
  });
  const response = await client(t, { timeoutMs: 1000, maxBodyBytes: 1024 }).send({ method: 'GET', url: server.url });
  t.equal(response.body.length, 1024);
});

t.test('retries an idempotent request once after a 503', async (t) => {
  const server = await upstream(t, (_req, res, hit) => {
    res.writeHead(hit === 1 ? 503 : 200);
    res.end(hit === 1 ? 'busy' : 'ok');
  });
  const response = await client(t, { timeoutMs: 2000 }).send({ method: 'GET', url: server.url, idempotent: true });
  t.match(response, { status: 200, body: 'ok' });
  t.equal(server.hits(), 2);
});

t.test('retries an idempotent request only once, then returns the 502', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.writeHead(502);
    res.end();
  });
  const response = await client(t, { timeoutMs: 2000 }).send({ method: 'GET', url: server.url, idempotent: true });
  t.equal(response.status, 502);
  t.equal(server.hits(), 2);
});

t.test('does not retry an idempotent request after a 500', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.writeHead(500);
    res.end();
  });
  const response = await client(t, { timeoutMs: 2000 }).send({ method: 'GET', url: server.url, idempotent: true });
  t.equal(response.status, 500);
  t.equal(server.hits(), 1);
});

t.test('retries an idempotent request once after a connection reset', async (t) => {
  const server = await upstream(t, (req, res, hit) => {
    if (hit === 1) {
      req.socket.destroy();
      return;
    }
    res.end('ok');
  });
  const response = await client(t, { timeoutMs: 2000 }).send({ method: 'GET', url: server.url, idempotent: true });
  t.match(response, { status: 200, body: 'ok' });
  t.equal(server.hits(), 2);
});

t.test('does not retry a non-idempotent request after a 503', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.writeHead(503);
    res.end();
  });
  const response = await client(t, { timeoutMs: 2000 }).send({ method: 'POST', url: server.url, body: 'code=single-use' });
  t.equal(response.status, 503);
  t.equal(server.hits(), 1);
});

t.test('does not retry a non-idempotent request after a connection reset', async (t) => {
  const server = await upstream(t, (req) => {
    req.socket.destroy();
  });
  await t.rejects(client(t, { timeoutMs: 2000 }).send({ method: 'POST', url: server.url, body: 'code=single-use' }), transportFailure('network'));
  t.equal(server.hits(), 1);
});

t.test('gives up with timeout when the deadline passes before the retry', async (t) => {
  const server = await upstream(t, (_req, res) => {
    setTimeout(() => {
      res.writeHead(503);
      res.end();
    }, 150);
  });
  await t.rejects(client(t, { timeoutMs: 200 }).send({ method: 'GET', url: server.url, idempotent: true }), transportFailure('timeout'));
  t.equal(server.hits(), 1);
});

t.test('reuses one keep-alive connection for sequential requests', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.end('ok');
  });
  const http = client(t, { timeoutMs: 1000 });
  for (let i = 0; i < 10; i++) {
    t.equal((await http.send({ method: 'GET', url: server.url })).body, 'ok');
    // As between the token and user/me calls: the connection goes back to the pool once the body is read.
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.equal(server.hits(), 10);
  t.equal(server.connections(), 1);
});

t.test('does not open a connection per request even back to back', async (t) => {
  const server = await upstream(t, (_req, res) => {
    res.end('ok');
  });
  const http = client(t, { timeoutMs: 1000 });
  for (let i = 0; i < 10; i++) await http.send({ method: 'GET', url: server.url });
  t.equal(server.hits(), 10);
  // undici frees the socket one tick after the body ends, so a request sent in that tick may open a second one.
  t.ok(server.connections() <= 2, `${server.connections()} connections for 10 requests`);
});
