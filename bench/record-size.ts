/**
 * `npm run bench:records`: what one completed login leaves in the memory store, in bytes of V8
 * heap, measured after full garbage collections: the access-token record, the code's replay
 * marker and the completed-callback record, written by the bridge's own Records class for the
 * benchmark user. Also the same access-token records serialised by plain JSON.stringify, which
 * a Korean nickname turns into two-byte strings. Needs `node --expose-gc` (the npm script passes it).
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

/** Bytes of heap per item that `write` leaves behind, for `count` items held in one store. */
async function bytesPer(write: (records: InstanceType<typeof Records>, store: InstanceType<typeof MemoryStore>, index: number) => Promise<void>): Promise<number> {
  const store = new MemoryStore({ maxEntries: count * 4 });
  const records = new Records(store);
  const before = heapAfterGc();
  for (let index = 0; index < count; index++) await write(records, store, index);
  const after = heapAfterGc();
  const perItem = (after - before) / count;
  await store.close();
  return perItem;
}

const record = () => ({ clientId: relyingParty.clientId, subject: userClaims.sub, scopes: scope.split(' '), claims: { ...userClaims }, expiresAt: Math.floor(Date.now() / 1000) + 3600 });

runScript('bench:records', async () => {
  const login = await bytesPer(async (records, _store, index) => {
    const code = randomToken();
    const accessToken = randomToken();
    await records.markCodeRedeemed(code, accessToken, 3600);
    await records.putAccessToken(accessToken, record(), 3600);
    const location = `${relyingParty.redirectUri}?code=${randomToken()}&state=rp-state-${String(index)}&iss=${encodeURIComponent('https://bridge.example.com')}`;
    await records.putCompletedCallback(randomToken(), { browser: randomToken(), location }, 60);
  });
  const accessOnly = await bytesPer(async (records) => {
    await records.putAccessToken(randomToken(), record(), 3600);
  });
  const plainJson = await bytesPer(async (_records, store) => {
    await store.put(`access:${randomToken()}`, JSON.stringify(record()), 3600);
  });
  process.stdout.write(
    [
      `${String(count)} logins held in the memory store, V8 heap after full GC:`,
      `  one completed login (access token + replay marker + completed callback): ${login.toFixed(0)} B`,
      `  the access-token record alone: ${accessOnly.toFixed(0)} B (ASCII-escaped JSON); with plain JSON.stringify: ${plainJson.toFixed(0)} B`,
      '',
    ].join('\n'),
  );
});
