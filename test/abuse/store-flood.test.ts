// The in-memory store under an unauthenticated /authorize flood: bounded, and nothing issued is lost.
import t from 'tap';
import { startBridge, type TestBridge } from '../helpers/bridge.js';
import { authorizeUrl, getUserinfo, loginForTokens, redeemCode, signIn } from '../helpers/flow.js';

/** `count` /authorize requests from browsers that never come back, `concurrency` at a time; returns the statuses seen. */
async function flood(bridge: TestBridge, count: number, concurrency = 20): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const response = await fetch(authorizeUrl(bridge, { state: `abandoned-${String(next)}` }), { redirect: 'manual' });
        await response.body?.cancel();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  return statuses;
}

async function codeOf(bridge: TestBridge): Promise<string> {
  const code = (await signIn(bridge)).searchParams.get('code');
  if (code === null) throw new Error('no code');
  return code;
}

t.test('a flood 10× the cap evicts only pending logins: a code issued before it still redeems and a token still works', async (t) => {
  const cap = 200;
  const bridge = await startBridge(t, { store: { maxEntries: cap }, env: { RATE_LIMIT_AUTHORIZE: '0' } });
  const tokens = await loginForTokens(bridge);
  const code = await codeOf(bridge);
  let peak = 0;
  const watcher = setInterval(() => (peak = Math.max(peak, bridge.store.size)), 1);
  const statuses = await flood(bridge, 10 * cap);
  clearInterval(watcher);
  t.same([...statuses], [[302, 10 * cap]], 'every flood request was sent on to Kakao (its login stored, older ones evicted)');
  t.ok(peak <= cap && bridge.store.size <= cap, `the store never held more than ${String(cap)} entries (peak ${String(peak)})`);
  t.ok(bridge.store.evictions >= 9 * cap, `${String(bridge.store.evictions)} pending logins evicted`);
  const redeemed = await redeemCode(bridge, code);
  t.equal(redeemed.status, 200, 'the code issued before the flood redeems');
  const fresh = (await redeemed.json()) as { access_token: string };
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 200, 'the access token issued before the flood works');
  t.equal((await getUserinfo(bridge, fresh.access_token)).status, 200, 'and so does the one the code just bought');
  t.ok(await loginForTokens(bridge), 'a login during the flood’s aftermath completes');
});

t.test('a login in flight while the flood runs completes: its pending entry is among the newest', async (t) => {
  const bridge = await startBridge(t, { store: { maxEntries: 500 }, env: { RATE_LIMIT_AUTHORIZE: '0' } });
  const [statuses, ...logins] = await Promise.all([flood(bridge, 3000), ...Array.from({ length: 10 }, () => loginForTokens(bridge))]);
  t.equal(statuses.get(302), 3000);
  t.equal(logins.length, 10, 'ten logins completed during the flood');
  for (const login of logins) t.equal((await getUserinfo(bridge, (login as { access_token: string }).access_token)).status, 200);
});

t.test('a store full of issued codes refuses new logins with temporarily_unavailable rather than dropping one', async (t) => {
  // A code may never be evicted; a login holds one only until its /token.
  const bridge = await startBridge(t, { store: { maxEntries: 5 }, env: { RATE_LIMIT_AUTHORIZE: '0' } });
  const codes = [];
  for (let index = 0; index < 5; index++) codes.push(await codeOf(bridge));
  t.equal(bridge.store.size, 5, 'five codes; the pending logins they came from were taken');
  const refused = await fetch(authorizeUrl(bridge, { state: 'refused-state' }), { redirect: 'manual' });
  t.equal(refused.status, 302);
  const location = new URL(refused.headers.get('location') ?? '');
  t.equal(`${location.origin}${location.pathname}`, 'http://127.0.0.1:9/rp/callback', 'back to the client');
  t.equal(location.searchParams.get('error'), 'temporarily_unavailable');
  t.equal(location.searchParams.get('state'), 'refused-state');
  t.ok(bridge.store.refusals >= 1);
  for (const code of codes) t.equal((await redeemCode(bridge, code)).status, 200, 'every code still redeems');
  t.equal(bridge.store.size, 0, 'redeemed, they leave nothing behind');
  const after = await fetch(authorizeUrl(bridge), { redirect: 'manual' });
  t.ok((after.headers.get('location') ?? '').startsWith(bridge.kakao.url), 'logins go on again once the codes are redeemed');
});

t.test('abandoned logins expire after LOGIN_TTL and their memory is reclaimed', async (t) => {
  const bridge = await startBridge(t, { store: { sweepIntervalMs: 20 }, env: { RATE_LIMIT_AUTHORIZE: '0', LOGIN_TTL: '60' } });
  const tokens = await loginForTokens(bridge);
  const baseline = bridge.store.size;
  t.equal(baseline, 0, 'a completed login leaves nothing in the store');
  // The flood takes real time too (seconds on a slow machine): its first login expires that much before its last.
  const floodStarted = Date.now();
  const abandoned = await fetch(authorizeUrl(bridge), { redirect: 'manual' });
  const kakaoState = new URL(abandoned.headers.get('location') ?? '').searchParams.get('state');
  await flood(bridge, 999);
  const floodSeconds = (Date.now() - floodStarted) / 1000;
  t.equal(bridge.store.size, baseline + 1000, 'a thousand pending logins held');
  bridge.advanceClock(59 - floodSeconds);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(bridge.store.size, baseline + 1000, 'still held just before LOGIN_TTL');
  bridge.advanceClock(floodSeconds + 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(bridge.store.size, baseline, 'all gone at LOGIN_TTL, swept without anyone reading them');
  const late = await fetch(`${bridge.issuer}/callback/kakao?state=${kakaoState ?? ''}&code=c`);
  t.equal(late.status, 400, 'a callback for an expired login gets the expired page');
  t.match(await late.text(), /Sign-in expired/);
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 200, 'the access token outlives them');
});
