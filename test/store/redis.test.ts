import t, { type Test } from 'tap';
import { Redis } from 'ioredis';
import { reconnectDelay } from '../../src/store/reconnect.js';
import { RedisStore } from '../../src/store/redis.js';
import { StoreUnavailable, type Store } from '../../src/store/store.js';
import { startRedis } from '../helpers/redis-server.js';
import { storeContract } from './store-contract.js';

const redis = await startRedis(t);

async function connected(options: ConstructorParameters<typeof RedisStore>[1] = {}): Promise<RedisStore> {
  const store = new RedisStore(redis.url, options);
  if (!(await store.waitUntilReady(3000))) throw new Error('RedisStore did not connect');
  return store;
}

/** A plain client, to look at what the store wrote. */
function rawClient(t: Test): Redis {
  const client = new Redis(redis.url);
  t.teardown(() => client.disconnect());
  return client;
}

storeContract(t, 'RedisStore', () => connected());

t.test('RedisStore: of 50 concurrent takes of one key from two connections, exactly one gets the value', async (t) => {
  const a = await connected();
  const b = await connected();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  for (let round = 0; round < 5; round++) {
    const key = `race:${process.pid}:${round}`;
    await a.put(key, `code-${round}`, 60);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).take(key)));
    t.same(
      results.filter((value) => value !== undefined),
      [`code-${round}`],
      `round ${round}`,
    );
  }
});

t.test('RedisStore: of 50 concurrent adds of one key from two connections, exactly one succeeds', async (t) => {
  const a = await connected();
  const b = await connected();
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const key = `add-race:${process.pid}`;
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).add(key, `v${i}`, 60)));
  t.equal(results.filter(Boolean).length, 1);
});

t.test('RedisStore: TTLs are Redis TTLs on prefixed keys', async (t) => {
  const store = await connected();
  t.teardown(() => store.close());
  const raw = rawClient(t);
  await store.put(`ttl:put:${process.pid}`, 'v', 60);
  await store.add(`ttl:add:${process.pid}`, 'v', 30);
  const putTtl = await raw.ttl(`kob:ttl:put:${process.pid}`);
  const addTtl = await raw.ttl(`kob:ttl:add:${process.pid}`);
  t.ok(putTtl > 55 && putTtl <= 60, `put: TTL ${putTtl}`);
  t.ok(addTtl > 25 && addTtl <= 30, `add: TTL ${addTtl}`);
  t.equal(await raw.get(`kob:ttl:put:${process.pid}`), 'v', 'stored under the kob: prefix, as a plain string');
  await store.put(`ttl:fraction:${process.pid}`, 'v', 1.2);
  t.equal(await raw.ttl(`kob:ttl:fraction:${process.pid}`), 2, 'a fractional TTL is rounded up to whole seconds');
  t.equal(await raw.exists(`ttl:put:${process.pid}`), 0, 'nothing without the prefix');
});

t.test('RedisStore: a custom key prefix keeps two bridges on one Redis apart', async (t) => {
  const one = await connected({ keyPrefix: 'one:' });
  const two = await connected({ keyPrefix: 'two:' });
  t.teardown(async () => {
    await one.close();
    await two.close();
  });
  await one.put('shared-name', 'from one', 60);
  t.equal(await two.get('shared-name'), undefined);
  t.equal(await one.get('shared-name'), 'from one');
});

t.test('RedisStore: reconnection backs off exponentially up to a cap', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6, 50].map((attempt) => reconnectDelay(attempt, 2000)),
    [100, 200, 400, 800, 1600, 2000, 2000],
  );
});

const operations: [string, (store: Store) => Promise<unknown>][] = [
  ['put', (store) => store.put('outage', 'v', 60)],
  ['add', (store) => store.add('outage', 'v', 60)],
  ['get', (store) => store.get('outage')],
  ['take', (store) => store.take('outage')],
  ['delete', (store) => store.delete('outage')],
  ['ping', (store) => store.ping()],
];

/** Every operation at once, each timed on its own: each must fail with StoreUnavailable within `withinMs`. */
async function expectUnavailable(t: Test, store: Store, withinMs: number): Promise<void> {
  const outcomes = await Promise.all(
    operations.map(async ([name, operation]) => {
      const started = performance.now();
      const error = await operation(store).then(
        () => undefined,
        (error: unknown) => error,
      );
      return { name, error, ms: Math.round(performance.now() - started) };
    }),
  );
  for (const { name, error, ms } of outcomes) {
    t.type(error, StoreUnavailable, `${name} fails with StoreUnavailable`);
    t.ok(ms <= withinMs, `${name} failed in ${ms} ms (limit ${withinMs})`);
    t.notMatch((error as Error).message, /outage/, `${name}: the error does not name the key`);
  }
}

async function waitForPing(store: Store, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      await store.ping();
      return Math.round(performance.now() - started);
    } catch {
      if (performance.now() - started > timeoutMs) throw new Error(`store not back within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

t.test('RedisStore: with Redis stopped every call fails fast with StoreUnavailable, and works again after a restart', async (t) => {
  const logs: string[] = [];
  const logger = { info: (_: object, message: string) => logs.push(message), warn: (_: object, message: string) => logs.push(message) };
  const store = await connected({ logger });
  t.teardown(() => store.close());
  await store.put('before', 'v', 60);

  await redis.stop();
  await expectUnavailable(t, store, 1500);

  await redis.start();
  const recoveredMs = await waitForPing(store, 5000);
  t.ok(recoveredMs < 3000, `back ${recoveredMs} ms after Redis restarted`);
  await store.put('after', 'v', 60);
  t.equal(await store.take('after'), 'v');
  t.equal(await store.get('before'), undefined, 'nothing survives a restart without persistence');
  t.match(logs, [/redis connection lost/, /redis connection restored/], 'the outage is logged once, and the recovery');
});

t.test('RedisStore: with Redis frozen every call fails within the command timeout, not a hang', async (t) => {
  const store = await connected();
  t.teardown(() => store.close());
  await store.put('frozen', 'v', 60);

  redis.pause();
  try {
    await expectUnavailable(t, store, 1500);
  } finally {
    redis.resume();
  }
  await waitForPing(store, 5000);
  t.equal(await store.get('frozen'), 'v', 'the data is still there once Redis answers');
});

t.test('RedisStore: an unreachable Redis at startup is waited for briefly, then calls fail until it answers', async (t) => {
  const port = redis.port;
  await redis.stop();
  const store = new RedisStore(`redis://127.0.0.1:${port}`);
  t.teardown(() => store.close());
  const started = performance.now();
  t.equal(await store.waitUntilReady(300), false, 'not ready');
  t.ok(performance.now() - started < 1000, 'waitUntilReady gives up after its timeout');
  await t.rejects(store.ping(), StoreUnavailable);
  await t.rejects(store.ping(), { message: /Redis is not connected \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)/ }, 'the message says why');
  await redis.start();
  await waitForPing(store, 5000);
  t.pass('connected once Redis started');
});

t.test('RedisStore: close ends the connection even when Redis is down', async (t) => {
  const store = await connected();
  await redis.stop();
  const started = performance.now();
  await store.close();
  t.ok(performance.now() - started < 500, 'close does not wait for Redis');
  await t.rejects(store.get('x'), StoreUnavailable, 'a closed store fails cleanly');
  await redis.start();
});
