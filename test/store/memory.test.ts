import t from 'tap';
import { MemoryStore } from '../../src/store/memory.js';
import { storeContract } from './store-contract.js';

storeContract(t, 'MemoryStore', () => Promise.resolve(new MemoryStore()));

/** A clock the test moves by hand. */
function clock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
  };
}

t.test('MemoryStore: an entry lives exactly its TTL on the injected clock', async (t) => {
  const time = clock();
  const store = new MemoryStore({ now: time.now });
  t.teardown(() => store.close());
  await store.put('code', 'v', 60);
  time.advance(59_999);
  t.equal(await store.get('code'), 'v', 'alive 1 ms before the TTL');
  time.advance(1);
  t.equal(await store.get('code'), undefined, 'gone at the TTL');
});

t.test('MemoryStore: a lookup drops the expired entry it finds', async (t) => {
  const time = clock();
  const store = new MemoryStore({ now: time.now });
  t.teardown(() => store.close());
  await store.put('a', 'v', 1);
  time.advance(1000);
  t.equal(store.size, 1, 'still held until someone looks');
  t.equal(await store.take('a'), undefined);
  t.equal(store.size, 0);
});

t.test('MemoryStore: put refreshes the TTL of an existing key', async (t) => {
  const time = clock();
  const store = new MemoryStore({ now: time.now });
  t.teardown(() => store.close());
  await store.put('k', 'v1', 10);
  time.advance(9000);
  await store.put('k', 'v2', 10);
  time.advance(9000);
  t.equal(await store.get('k'), 'v2');
});

t.test('MemoryStore: the sweep removes expired entries nobody reads', async (t) => {
  const time = clock();
  const store = new MemoryStore({ now: time.now, sweepIntervalMs: 10 });
  t.teardown(() => store.close());
  await store.put('expired-1', 'v', 1);
  await store.put('expired-2', 'v', 5);
  await store.put('alive', 'v', 60);
  time.advance(5000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(store.size, 1);
  t.equal(await store.get('alive'), 'v');
});

t.test('MemoryStore: past maxEntries the oldest entry is evicted', async (t) => {
  const store = new MemoryStore({ maxEntries: 3 });
  t.teardown(() => store.close());
  for (const key of ['a', 'b', 'c', 'd']) await store.put(key, key, 60);
  t.equal(store.size, 3);
  t.equal(await store.get('a'), undefined, 'the oldest is gone');
  t.same([await store.get('b'), await store.get('c'), await store.get('d')], ['b', 'c', 'd']);
});

t.test('MemoryStore: a put makes its key the newest, so it is evicted last', async (t) => {
  const store = new MemoryStore({ maxEntries: 2 });
  t.teardown(() => store.close());
  await store.put('a', 'a1', 60);
  await store.put('b', 'b', 60);
  await store.put('a', 'a2', 60);
  await store.put('c', 'c', 60);
  t.equal(await store.get('a'), 'a2');
  t.equal(await store.get('b'), undefined);
});

t.test('MemoryStore: add counts toward maxEntries', async (t) => {
  const store = new MemoryStore({ maxEntries: 2 });
  t.teardown(() => store.close());
  for (const key of ['a', 'b', 'c']) t.ok(await store.add(key, key, 60));
  t.equal(store.size, 2);
  t.equal(await store.get('a'), undefined);
});

t.test('MemoryStore: close drops every entry', async (t) => {
  const store = new MemoryStore();
  await store.put('a', 'v', 60);
  await store.close();
  t.equal(store.size, 0);
});
