// A bounded soak, in process (buildApp, the memory store with its clock, the fake Kakao, the load
// generator): thousands of complete logins from distinct addresses while a flood of abandoned
// /authorize requests runs, some of it from one address over its rate limit. Zero failed logins;
// the store stays under its cap; once every TTL has passed, the store is empty and the heap is
// back near its baseline. Sizes: SOAK_LOGINS (default 300; `npm run test:soak` runs thousands),
// SOAK_ABANDONED (default 4 per login), SOAK_CONCURRENCY (default 20).
import t from 'tap';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Agent } from 'undici';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { startBridge } from '../helpers/bridge.js';
import { authorizePath, formHeaders, Jar, pool, send, tokenForm } from '../helpers/load.js';

const logins = Number(process.env.SOAK_LOGINS ?? 300);
const abandoned = Number(process.env.SOAK_ABANDONED ?? 4 * logins);
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 20);
/** Sent from one address, past RATE_LIMIT_AUTHORIZE (120 a minute): the rest are refused with 429. */
const noisy = Math.min(300, abandoned);
/**
 * Room for every access token and replay marker of the soak (never evicted) and for a quarter of
 * the abandoned logins: the flood fills the rest, so the store evicts its oldest pending logins.
 */
const cap = 2 * (logins + 100) + Math.ceil(abandoned / 4);

// A full collection on demand, without starting node with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function settledHeap(): number {
  for (let round = 0; round < 3; round++) gc();
  return process.memoryUsage().heapUsed;
}

/** A distinct client address for the n-th simulated user (TRUST_PROXY: the test is the proxy). */
const userAddress = (n: number) => `10.${String((n >> 16) & 255)}.${String((n >> 8) & 255)}.${String(n & 255)}`;

t.test(`soak: ${String(logins)} logins and ${String(abandoned)} abandoned authorizes`, async (t) => {
  const bridge = await startBridge(t, { store: { maxEntries: cap, sweepIntervalMs: 200 }, env: { TRUST_PROXY: 'true', LOG_LEVEL: 'warn' } });
  const agent = new Agent({ connections: 2 * concurrency + 10, keepAliveTimeout: 10_000 });
  t.teardown(() => agent.close());
  const origin = bridge.issuer;
  const failures: string[] = [];
  const tokens: string[] = [];

  const login = async (n: number): Promise<void> => {
    const ip = { 'x-forwarded-for': userAddress(n) };
    const jar = new Jar();
    const state = `soak-${String(n)}`;
    const authorize = await send(agent, `${origin}${authorizePath(state)}`, { headers: ip });
    jar.keep(authorize);
    if (authorize.kind !== 'response' || authorize.status !== 302 || authorize.location === undefined) throw new Error(`authorize: ${JSON.stringify(authorize).slice(0, 200)}`);
    const atKakao = await send(agent, authorize.location);
    if (atKakao.kind !== 'response' || atKakao.location === undefined) throw new Error('kakao did not redirect back');
    const callback = await send(agent, atKakao.location, { headers: { ...ip, ...jar.header() } });
    if (callback.kind !== 'response' || callback.location === undefined) throw new Error(`callback: ${JSON.stringify(callback).slice(0, 200)}`);
    const back = new URL(callback.location).searchParams;
    const code = back.get('code');
    if (code === null || back.get('state') !== state) throw new Error(`callback redirect without code: ${back.get('error') ?? ''} ${back.get('error_description') ?? ''}`);
    const token = await send(agent, `${origin}/token`, { method: 'POST', headers: { ...formHeaders, ...ip }, body: tokenForm(code) });
    if (token.kind !== 'response' || token.status !== 200) throw new Error(`token: ${JSON.stringify(token).slice(0, 200)}`);
    const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    const userinfo = await send(agent, `${origin}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    if (userinfo.kind !== 'response' || userinfo.status !== 200) throw new Error(`userinfo: ${JSON.stringify(userinfo).slice(0, 200)}`);
    if ((JSON.parse(userinfo.body) as { sub?: string }).sub !== defaultFakeUser.id) throw new Error('userinfo: wrong subject');
    tokens.push(accessToken);
  };

  // Warm-up (JIT, pools, caches), then the baseline.
  await pool(50, 10, login);
  bridge.advanceClock(3600 * 2);
  await new Promise((resolve) => setTimeout(resolve, 400));
  tokens.length = 0;
  const baselineStore = bridge.store.size;
  const baselineHeap = settledHeap();
  const baselineRss = process.memoryUsage().rss;

  let peakHeap = 0;
  let peakRss = 0;
  let peakStore = 0;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakHeap = Math.max(peakHeap, usage.heapUsed);
    peakRss = Math.max(peakRss, usage.rss);
    peakStore = Math.max(peakStore, bridge.store.size);
  }, 50);
  const abandonedStatuses = new Map<number, number>();
  const started = performance.now();
  await Promise.all([
    pool(logins, concurrency, async (n) => {
      try {
        await login(n + 100);
      } catch (error) {
        failures.push(`login ${String(n)}: ${(error as Error).message}`);
      }
    }),
    pool(abandoned, concurrency, async (n) => {
      // The first `noisy` come from one address; the rest from a thousand others, each under its limit.
      const ip = n < noisy ? '198.51.100.1' : `203.0.${String(n % 4)}.${String(n % 250)}`;
      const response = await send(agent, `${origin}${authorizePath(`abandoned-${String(n)}`)}`, { headers: { 'x-forwarded-for': ip } });
      const status = response.kind === 'response' ? response.status : 0;
      abandonedStatuses.set(status, (abandonedStatuses.get(status) ?? 0) + 1);
    }),
  ]);
  const durationMs = performance.now() - started;
  clearInterval(sampler);
  const peakHeapWithStore = Math.max(peakHeap, process.memoryUsage().heapUsed);

  t.same(failures.slice(0, 10), [], `zero failed logins (${String(failures.length)})`);
  t.equal(tokens.length, logins, 'every login ended with a working access token');
  t.same([...abandonedStatuses.keys()].sort(), [302, 429], 'abandoned authorizes went on to Kakao or were rate limited, nothing else');
  t.equal(abandonedStatuses.get(429), noisy - 120, `the noisy address got 120 through and ${String(noisy - 120)} × 429`);
  t.ok(peakStore <= cap, `the store stayed under its cap (peak ${String(peakStore)} of ${String(cap)} entries)`);
  const sample = tokens.filter((_, index) => index % Math.max(1, Math.floor(logins / 50)) === 0);
  let valid = 0;
  for (const token of sample) {
    const answer = await send(agent, `${origin}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    if (answer.kind === 'response' && answer.status === 200) valid++;
  }
  t.equal(valid, sample.length, `${String(sample.length)} sampled access tokens, the earliest included, still work after the flood: none was evicted`);

  // Every TTL passes (ACCESS_TOKEN_TTL is the longest: 1 h); the sweep reclaims the store without anyone reading it.
  const heldAtEnd = bridge.store.size;
  bridge.advanceClock(3600 + 60);
  await new Promise((resolve) => setTimeout(resolve, 600));
  t.equal(bridge.store.size, baselineStore, `the store is back to its baseline (${String(baselineStore)} entries, from ${String(heldAtEnd)})`);
  const afterHeap = settledHeap();
  const afterRss = process.memoryUsage().rss;
  const growth = afterHeap - baselineHeap;
  const peakGrowth = peakHeapWithStore - baselineHeap;
  t.ok(growth < Math.max(8 * 1024 * 1024, 0.25 * peakGrowth), `the heap after GC is within ${mb(growth)} MB of its baseline (the peak was ${mb(peakGrowth)} MB above it)`);

  const figures = {
    logins,
    failedLogins: failures.length,
    abandonedAuthorizes: abandoned,
    rateLimited: abandonedStatuses.get(429) ?? 0,
    evictedPendingLogins: bridge.store.evictions,
    concurrency,
    durationS: Number((durationMs / 1000).toFixed(1)),
    loginsPerSecond: Number((logins / (durationMs / 1000)).toFixed(0)),
    storeEntries: { cap, peak: peakStore, atEnd: heldAtEnd, afterTtl: bridge.store.size },
    heapMB: { baseline: Number(mb(baselineHeap)), peak: Number(mb(peakHeapWithStore)), afterTtlAndGc: Number(mb(afterHeap)) },
    rssMB: { baseline: Number(mb(baselineRss)), peak: Number(mb(peakRss)), afterTtlAndGc: Number(mb(afterRss)) },
  };
  t.comment(`soak figures: ${JSON.stringify(figures)}`);
});
