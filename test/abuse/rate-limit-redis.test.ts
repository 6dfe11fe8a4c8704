// Replicas share their counters through Redis; a Redis that is down or frozen never holds a request or turns it into a 5xx.
import t from 'tap';
import { Redis } from 'ioredis';
import { confidential } from '../helpers/bridge.js';
import { startRedis } from '../helpers/redis-server.js';
import { startReplicas } from '../helpers/replicas.js';

const redis = await startRedis(t);
const set = await startReplicas(t, { redisUrl: redis.url, env: { RATE_LIMIT_AUTHORIZE: '4', RATE_LIMIT_TOKEN: '4' } });

function authorizeAt(index: number): Promise<Response> {
  const url = new URL(`${set.issuer}/authorize`);
  for (const [name, value] of Object.entries({ client_id: confidential.clientId, redirect_uri: confidential.redirectUri, response_type: 'code', scope: 'openid', state: 's' })) {
    url.searchParams.set(name, value);
  }
  return fetch(set.at(url.href, index), { redirect: 'manual' });
}

function tokenAt(index: number): Promise<Response> {
  return fetch(set.at(`${set.issuer}/token`, index), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: confidential.redirectUri, client_id: confidential.clientId, client_secret: confidential.clientSecret }),
  });
}

async function timed(request: () => Promise<Response>): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const response = await request();
  await response.arrayBuffer();
  return { status: response.status, ms: performance.now() - started };
}

t.test('two replicas share one budget per IP through Redis', async (t) => {
  const statuses: number[] = [];
  for (let index = 0; index < 6; index++) statuses.push((await authorizeAt(index)).status);
  t.same(statuses, [302, 302, 302, 302, 429, 429], 'the fifth request is refused, whichever replica gets it');
  for (let index = 0; index < 4; index++) t.equal((await tokenAt(index)).status, 400);
  t.equal((await tokenAt(0)).status, 429, '/token too');
  const raw = new Redis(redis.url);
  t.teardown(() => raw.disconnect());
  const keys = (await raw.keys('kob:rate:*')).sort();
  t.same(keys, ['kob:rate:authorize:127.0.0.1', `kob:rate:token:${confidential.clientId}:127.0.0.1`]);
  const ttl = await raw.pttl('kob:rate:authorize:127.0.0.1');
  t.ok(ttl > 0 && ttl <= 60_000, `the counter expires with its window (${String(ttl)} ms)`);
  await raw.del(keys);
});

t.test('with Redis down, requests are neither held nor failed by the limiter: it lets them through', async (t) => {
  await redis.stop();
  // The limiter lets the request through; the store being down then answers as it always does.
  const authorize = await timed(() => authorizeAt(0));
  t.equal(authorize.status, 302, '/authorize sends the client temporarily_unavailable, not a 5xx or 429');
  t.ok(authorize.ms < 2000, `in ${authorize.ms.toFixed(0)} ms`);
  const location = (await authorizeAt(1)).headers.get('location') ?? '';
  t.equal(new URL(location).searchParams.get('error'), 'temporarily_unavailable');
  const results = await Promise.all(Array.from({ length: 10 }, (_, index) => timed(() => tokenAt(index))));
  t.same(new Set(results.map((result) => result.status)), new Set([503]), '/token: the store’s 503, never a 429 or 500');
  t.ok(Math.max(...results.map((result) => result.ms)) < 2000, 'answered at once (no deadline waited out)');
  const discovery = await timed(() => fetch(set.at(`${set.issuer}/.well-known/openid-configuration`, 0)));
  t.equal(discovery.status, 200);
  await redis.start();
});

t.test('with Redis frozen, the limiter gives up within its deadline', async (t) => {
  // Let both replicas reconnect after the restart above.
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await authorizeAt(0)).status === 302 && (await authorizeAt(1)).status === 302) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  redis.pause();
  t.teardown(() => redis.resume());
  const authorize = await timed(() => authorizeAt(0));
  t.equal(authorize.status, 302, 'temporarily_unavailable redirect from the store, not a hang');
  t.ok(authorize.ms < 3000, `in ${authorize.ms.toFixed(0)} ms (limiter 250 ms + store 1 s deadlines)`);
  redis.resume();
});
