import type { Test } from 'tap';
import type { Store } from '../../src/store/store.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The behaviour every Store must have (src/store/store.ts), run as subtests of `t` against a
 * fresh store from `makeStore` per subtest. Keys are unique per run so a shared backend (Redis)
 * can be reused between runs.
 */
export function storeContract(t: Test, name: string, makeStore: () => Promise<Store>): void {
  const run = `${process.pid.toString(36)}-${Date.now().toString(36)}`;
  let counter = 0;
  const key = (label: string): string => `contract:${run}:${(counter++).toString()}:${label}`;

  const withStore = (title: string, body: (t: Test, store: Store) => Promise<void>): void => {
    t.test(`${name}: ${title}`, async (t) => {
      const store = await makeStore();
      t.teardown(() => store.close());
      await body(t, store);
    });
  };

  withStore('get returns what put stored', async (t, store) => {
    const k = key('put');
    await store.put(k, '{"clientId":"logto"}', 60);
    t.equal(await store.get(k), '{"clientId":"logto"}');
  });

  withStore('put replaces an existing value', async (t, store) => {
    const k = key('replace');
    await store.put(k, 'first', 60);
    await store.put(k, 'second', 60);
    t.equal(await store.get(k), 'second');
  });

  withStore('get of a missing key is undefined', async (t, store) => {
    t.equal(await store.get(key('missing')), undefined);
  });

  withStore('get does not remove the value', async (t, store) => {
    const k = key('get-twice');
    await store.put(k, 'v', 60);
    await store.get(k);
    t.equal(await store.get(k), 'v');
  });

  withStore('keeps values of different keys apart', async (t, store) => {
    const a = key('a');
    const b = key('b');
    await store.put(a, 'A', 60);
    await store.put(b, 'B', 60);
    t.same([await store.get(a), await store.get(b)], ['A', 'B']);
  });

  withStore('keeps any string value intact', async (t, store) => {
    const k = key('unicode');
    const value = JSON.stringify({ nickname: '홍길동', emoji: '🙂', quote: '"\\\n' });
    await store.put(k, value, 60);
    t.equal(await store.get(k), value);
  });

  withStore('an entry expires after its TTL (put, add, get and take all stop seeing it)', async (t, store) => {
    const putKey = key('ttl-put');
    const addKey = key('ttl-add');
    const takeKey = key('ttl-take');
    const longKey = key('ttl-long');
    await store.put(putKey, 'v', 1);
    t.ok(await store.add(addKey, 'v', 1));
    await store.put(takeKey, 'v', 1);
    await store.put(longKey, 'v', 60);
    t.equal(await store.get(putKey), 'v', 'alive before its TTL');
    await sleep(1100);
    t.equal(await store.get(putKey), undefined, 'get sees nothing after the TTL');
    t.equal(await store.take(takeKey), undefined, 'take gets nothing after the TTL');
    t.ok(await store.add(addKey, 'again', 60), 'add succeeds after the TTL');
    t.equal(await store.get(addKey), 'again');
    t.equal(await store.get(longKey), 'v', 'a longer TTL is still alive');
  });

  withStore('add sets a value only when the key is absent', async (t, store) => {
    const k = key('add');
    t.equal(await store.add(k, 'first', 60), true);
    t.equal(await store.add(k, 'second', 60), false);
    t.equal(await store.get(k), 'first');
  });

  withStore('add fails on a key set by put', async (t, store) => {
    const k = key('add-after-put');
    await store.put(k, 'v', 60);
    t.equal(await store.add(k, 'other', 60), false);
  });

  withStore('of 50 concurrent adds of one key, exactly one succeeds', async (t, store) => {
    const k = key('add-race');
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.add(k, `v${i.toString()}`, 60)));
    t.equal(results.filter(Boolean).length, 1);
  });

  withStore('take returns the value once, then undefined', async (t, store) => {
    const k = key('take');
    await store.put(k, 'code', 60);
    t.equal(await store.take(k), 'code');
    t.equal(await store.take(k), undefined);
    t.equal(await store.get(k), undefined);
  });

  withStore('take of a missing key is undefined', async (t, store) => {
    t.equal(await store.take(key('take-missing')), undefined);
  });

  withStore('of 50 concurrent takes of one key, exactly one gets the value', async (t, store) => {
    const k = key('take-race');
    await store.put(k, 'single-use', 60);
    const results = await Promise.all(Array.from({ length: 50 }, () => store.take(k)));
    t.same(results.filter((value) => value !== undefined), ['single-use']);
  });

  withStore('add succeeds again after take', async (t, store) => {
    const k = key('add-after-take');
    await store.put(k, 'v', 60);
    await store.take(k);
    t.equal(await store.add(k, 'w', 60), true);
  });

  withStore('delete removes the value', async (t, store) => {
    const k = key('delete');
    await store.put(k, 'v', 60);
    await store.delete(k);
    t.equal(await store.get(k), undefined);
    t.equal(await store.add(k, 'w', 60), true, 'and frees the key for add');
  });

  withStore('delete of a missing key resolves', async (t, store) => {
    await t.resolves(store.delete(key('delete-missing')));
  });

  withStore('ping resolves while the store is up', async (t, store) => {
    await t.resolves(store.ping());
  });

  t.test(`${name}: close resolves`, async (t) => {
    const store = await makeStore();
    await t.resolves(store.close());
  });
}
