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

const evictable = { evictable: true };

t.test('MemoryStore: past maxEntries the oldest evictable entry is evicted', async (t) => {
  const store = new MemoryStore({ maxEntries: 3 });
  t.teardown(() => store.close());
  for (const key of ['a', 'b', 'c', 'd']) await store.put(key, key, 60, evictable);
  t.equal(store.size, 3);
  t.equal(await store.get('a'), undefined, 'the oldest is gone');
  t.same([await store.get('b'), await store.get('c'), await store.get('d')], ['b', 'c', 'd']);
  t.equal(store.evictions, 1);
});

t.test('MemoryStore: a put makes its key the newest, so it is evicted last', async (t) => {
  const store = new MemoryStore({ maxEntries: 2 });
  t.teardown(() => store.close());
  await store.put('a', 'a1', 60, evictable);
  await store.put('b', 'b', 60, evictable);
  await store.put('a', 'a2', 60, evictable);
  await store.put('c', 'c', 60, evictable);
  t.equal(await store.get('a'), 'a2');
  t.equal(await store.get('b'), undefined);
});

t.test('MemoryStore: a full store evicts evictable entries only, never one put without the option', async (t) => {
  const store = new MemoryStore({ maxEntries: 3 });
  t.teardown(() => store.close());
  await store.put('code:1', 'c1', 60);
  await store.put('login:1', 'l1', 60, evictable);
  await store.put('code:2', 'c2', 60);
  await store.put('login:2', 'l2', 60, evictable);
  t.equal(await store.get('login:1'), undefined, 'the older pending entry made room');
  await store.put('code:3', 'c3', 60);
  t.equal(await store.get('login:2'), undefined, 'a non-evictable put also makes room from evictable entries');
  t.same([await store.get('code:1'), await store.get('code:2'), await store.get('code:3')], ['c1', 'c2', 'c3']);
  t.equal(store.evictions, 2);
});

t.test('MemoryStore: a store full of non-evictable entries refuses new puts with StoreUnavailable and keeps what it holds', async (t) => {
  const store = new MemoryStore({ maxEntries: 2 });
  t.teardown(() => store.close());
  await store.put('code:1', 'c1', 60);
  await store.put('access:1', 'a1', 60);
  await t.rejects(store.put('login:1', 'l1', 60, evictable), { name: 'StoreUnavailable', operation: 'put' });
  await t.rejects(store.put('code:2', 'c2', 60), { name: 'StoreUnavailable' });
  await t.rejects(store.add('assertion:1', '1', 60), { name: 'StoreUnavailable' });
  t.same([await store.get('code:1'), await store.get('access:1')], ['c1', 'a1']);
  t.equal(store.size, 2);
  t.equal(store.refusals, 3);
  await store.put('code:1', 'c1-again', 60);
  t.equal(await store.get('code:1'), 'c1-again', 'replacing a key needs no room');
});

t.test('MemoryStore: a full store sweeps expired entries before it refuses a put', async (t) => {
  const time = clock();
  const store = new MemoryStore({ maxEntries: 2, now: time.now });
  t.teardown(() => store.close());
  await store.put('code:1', 'c1', 1);
  await store.put('access:1', 'a1', 60);
  time.advance(1000);
  await store.put('code:2', 'c2', 60);
  t.equal(await store.get('code:2'), 'c2');
  t.equal(await store.get('access:1'), 'a1');
  t.equal(store.refusals, 0);
});

t.test('MemoryStore: a taken or deleted evictable entry leaves the eviction order', async (t) => {
  const store = new MemoryStore({ maxEntries: 2 });
  t.teardown(() => store.close());
  await store.put('login:1', 'l1', 60, evictable);
  t.equal(await store.take('login:1'), 'l1');
  await store.put('login:2', 'l2', 60, evictable);
  await store.delete('login:2');
  await store.put('code:1', 'c1', 60);
  await store.put('code:2', 'c2', 60);
  await t.rejects(store.put('code:3', 'c3', 60), { name: 'StoreUnavailable' }, 'nothing evictable is left');
  t.equal(store.evictions, 0);
});

t.test('MemoryStore: a key put again without the option is no longer evictable', async (t) => {
  const store = new MemoryStore({ maxEntries: 2 });
  t.teardown(() => store.close());
  await store.put('k', 'pending', 60, evictable);
  await store.put('k', 'issued', 60);
  await store.put('other', 'o', 60);
  await t.rejects(store.put('third', 't', 60, evictable), { name: 'StoreUnavailable' });
  t.equal(await store.get('k'), 'issued');
});

t.test('MemoryStore: add counts toward maxEntries', async (t) => {
  const store = new MemoryStore({ maxEntries: 2 });
  t.teardown(() => store.close());
  for (const key of ['a', 'b', 'c']) t.ok(await store.add(key, key, 60, evictable));
  t.equal(store.size, 2);
  t.equal(await store.get('a'), undefined);
});

t.test('MemoryStore: close drops every entry', async (t) => {
  const store = new MemoryStore();
  await store.put('a', 'v', 60);
  await store.close();
  t.equal(store.size, 0);
});
