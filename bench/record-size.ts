/**
 * `npm run bench:records`: what a login holds in the memory store, in bytes of V8 heap, measured
 * after full garbage collections, through the bridge's own Records class for the benchmark user:
 * between its callback and its /token (the code), after its
 * /token (nothing should be left), and for a replayed code (its revocation). Also the same code
 * records serialised by plain JSON.stringify, which a Korean nickname turns into two-byte strings.
 * Needs `node --expose-gc` (the npm script passes it).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { relyingParty, scope, userClaims } from './lib/fixtures.js';
import { runScript } from './lib/script.js';

const dist = resolve(process.env.BENCH_DIST ?? 'dist');
const count = Number(process.env.RECORDS ?? '50000');
const { MemoryStore } = (await import(pathToFileURL(join(dist, 'store', 'memory.js')).href)) as typeof import('../src/store/memory.js');
const { Records } = (await import(pathToFileURL(join(dist, 'oidc', 'records.js')).href)) as typeof import('../src/oidc/records.js');
const { randomToken } = (await import(pathToFileURL(join(dist, 'oidc', 'secrets.js')).href)) as typeof import('../src/oidc/secrets.js');

const gc = (globalThis as { gc?: () => void }).gc;

function heapAfterGc(): number {
  if (gc === undefined) throw new Error('run with node --expose-gc');
  for (let pass = 0; pass < 3; pass++) gc();
  return process.memoryUsage().heapUsed;
}

type Write = (records: InstanceType<typeof Records>, store: InstanceType<typeof MemoryStore>, index: number) => Promise<void>;

/** Bytes of heap per item that `write` leaves behind, for `count` items held in one store. */
async function bytesPer(write: Write): Promise<number> {
  const store = new MemoryStore({ maxEntries: count * 4 });
  const records = new Records(store, { secret: randomToken(), maxAccessTokenTtl: 3600 });
  const before = heapAfterGc();
  for (let index = 0; index < count; index++) await write(records, store, index);
  const after = heapAfterGc();
  const perItem = (after - before) / count;
  await store.close();
  return perItem;
}

const issued = (state?: string) => ({
  clientId: relyingParty.clientId,
  redirectUri: relyingParty.redirectUri,
  codeChallenge: randomToken(),
  nonce: randomToken(),
  scopes: scope.split(' '),
  subject: userClaims.sub,
  claims: { ...userClaims },
  authTime: Math.floor(Date.now() / 1000),
  browser: randomToken(),
  state,
});

/** What /callback writes: the code. */
async function callback(records: InstanceType<typeof Records>, index: number): Promise<string> {
  const code = records.codeOf(randomToken());
  await records.putCode(code, issued(`rp-state-${String(index)}`), 60);
  return code;
}

/** What /token removes: the code. */
async function redeem(records: InstanceType<typeof Records>, code: string): Promise<void> {
  if ((await records.takeCode(code)) === undefined) throw new Error('the code was not stored');
}

runScript('bench:records', async () => {
  const beforeToken = await bytesPer(async (records, _store, index) => {
    await callback(records, index);
  });
  const afterToken = await bytesPer(async (records, _store, index) => {
    await redeem(records, await callback(records, index));
  });
  const replayed = await bytesPer(async (records) => {
    await records.revokeGrant(records.codeOf(randomToken()));
  });
  const plainJson = await bytesPer(async (_records, store) => {
    await store.put(`code:${randomToken()}`, JSON.stringify(issued()), 60);
  });
  const storedJson = await bytesPer(async (records) => {
    await records.putCode(randomToken(), issued(), 60);
  });
  process.stdout.write(
    [
      `${String(count)} logins held in the memory store, V8 heap after full GC:`,
      `  a login between its callback and its /token (its code): ${beforeToken.toFixed(0)} B`,
      `  a login after its /token: ${afterToken.toFixed(0)} B`,
      `  a replayed code (its revocation, kept as long as an access token lives): ${replayed.toFixed(0)} B`,
      `  the code record alone: ${storedJson.toFixed(0)} B (ASCII-escaped JSON); with plain JSON.stringify: ${plainJson.toFixed(0)} B`,
      '',
    ].join('\n'),
  );
});
