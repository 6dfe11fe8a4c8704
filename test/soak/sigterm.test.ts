// SIGTERM while 200 requests are in flight: every request the bridge had accepted completes,
// new connections are refused, and the process exits 0 within seconds. The real entry point
// (src/main.ts) runs in a child process.
import t from 'tap';
import { connect } from 'node:net';
import { Agent } from 'undici';
import { startFakeKakao } from '../../src/demo/fake-kakao.js';
import { bridgeEnv, freePort, kakaoApp } from '../helpers/bridge.js';
import { authorizePath, formHeaders, Jar, send, spawnBridge, startGate, tokenForm, type Outcome } from '../helpers/load.js';

const heldLogins = Number(process.env.SIGTERM_HELD_LOGINS ?? 150);
const workers = Number(process.env.SIGTERM_WORKERS ?? 50);
/** The bridge calls Kakao over at most 128 connections (src/http/upstream-client.ts): more calls queue inside it, in flight all the same. */
const heldAtGate = Math.min(heldLogins, 120);

const kakao = await startFakeKakao();
t.teardown(() => kakao.close());
// Kakao's /v2/user/me goes through the gate: holding it keeps callbacks in flight inside the bridge.
const gate = await startGate(t, kakao.url);
const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
kakao.addApp({ clientId: kakaoApp.clientId, clientSecret: kakaoApp.clientSecret, redirectUris: [`${origin}/callback/kakao`] });

interface Record_ {
  what: string;
  started: number;
  outcome: Outcome;
}

t.test(`SIGTERM with about ${String(heldLogins + workers)} requests in flight: none of them fails, then exit 0`, async (t) => {
  const bridge = await spawnBridge(t, {
    ...bridgeEnv(origin, kakao.url),
    KAKAO_API_URL: gate.url,
    PORT: String(port),
    DATA_DIR: t.testdir(),
    // This test is about shutdown: 200 browsers on one loopback address would otherwise be rate limited.
    RATE_LIMIT_AUTHORIZE: '0',
    RATE_LIMIT_CALLBACK: '0',
    RATE_LIMIT_TOKEN: '0',
  });
  const agent = new Agent({ connections: 400, keepAliveTimeout: 30_000 });
  t.teardown(() => agent.close());
  const records: Record_[] = [];
  let signalAt = Number.POSITIVE_INFINITY;
  let exitedAt = Number.POSITIVE_INFINITY;
  void bridge.exited.then(() => (exitedAt = performance.now()));

  let pending = 0;
  let closedUnread = 0;
  const call = async (what: string, url: string, init: Parameters<typeof send>[2] = {}): Promise<Outcome> => {
    let started = performance.now();
    pending++;
    let outcome = await send(agent, url, init);
    // The keep-alive race (RFC 9112 §9.3.1): the closing server closed an idle connection as this
    // request went out on it. The server never read it (it closes idle connections only), so the
    // client sends it again, as browsers and proxies do; the second try meets the closed listener.
    if (outcome.kind === 'error' && (outcome.code === 'UND_ERR_SOCKET' || outcome.code === 'ECONNRESET')) {
      closedUnread++;
      started = performance.now();
      outcome = await send(agent, url, init);
    }
    pending--;
    records.push({ what, started, outcome });
    return outcome;
  };

  /** authorize → Kakao → callback (→ token → userinfo); stops at the first leg that is not answered as expected. */
  const login = async (label: string, full: boolean): Promise<string | undefined> => {
    const jar = new Jar();
    const authorize = await call(`${label} authorize`, `${origin}${authorizePath(`${label}-state`)}`, { headers: jar.header() });
    jar.keep(authorize);
    if (authorize.kind !== 'response' || authorize.location === undefined) return undefined;
    const atKakao = await send(agent, authorize.location);
    if (atKakao.kind !== 'response' || atKakao.location === undefined) return undefined;
    const callback = await call(`${label} callback`, atKakao.location, { headers: jar.header() });
    if (callback.kind !== 'response' || callback.location === undefined) return undefined;
    const code = new URL(callback.location).searchParams.get('code') ?? undefined;
    if (!full || code === undefined) return code;
    const token = await call(`${label} token`, `${origin}/token`, { method: 'POST', headers: formHeaders, body: tokenForm(code) });
    if (token.kind !== 'response' || token.status !== 200) return code;
    const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    await call(`${label} userinfo`, `${origin}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    return code;
  };

  // Background traffic until the process is gone: discovery, token requests (unknown codes), whole logins.
  const background = Array.from({ length: workers }, async (_, worker) => {
    for (let round = 0; exitedAt === Number.POSITIVE_INFINITY; round++) {
      const kind = (worker + round) % 3;
      if (kind === 0) await call('discovery', `${origin}/.well-known/openid-configuration`);
      else if (kind === 1) await call('token', `${origin}/token`, { method: 'POST', headers: formHeaders, body: tokenForm(`unknown-${String(worker)}-${String(round)}`) });
      else await login(`background-${String(worker)}-${String(round)}`, true);
      // After the signal, a refused request ends this worker (the process is closing).
      const last = records.at(-1);
      if (last !== undefined && last.started > signalAt && (last.outcome.kind === 'error' || last.outcome.status === 503)) return;
    }
  });

  await new Promise((resolve) => setTimeout(resolve, 1000));
  gate.hold();
  const held = Array.from({ length: heldLogins }, (_, index) => login(`held-${String(index)}`, false));
  await gate.waitForHeld(heldAtGate, 8000);
  // Every held login has sent its callback.
  while (records.filter((record) => record.what.startsWith('held-') && record.what.endsWith('authorize')).length < heldLogins) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  const inFlight = pending;

  signalAt = performance.now();
  bridge.child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The listener is closed while the held requests are still being served.
  const probe = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
  t.equal(probe, 'ECONNREFUSED', 'a new connection is refused once SIGTERM is received');
  const releasedAt = performance.now();
  gate.release();

  const heldCodes = await Promise.all(held);
  const [exitCode] = await bridge.exited;
  await Promise.all(background);
  const exitMs = exitedAt - releasedAt;

  t.equal(exitCode, 0, 'exit code 0');
  t.ok(exitMs < 5000, `exited ${exitMs.toFixed(0)} ms after the held requests were let go`);
  t.equal(heldCodes.filter((code) => code !== undefined).length, heldLogins, `all ${String(heldLogins)} held callbacks completed with a code`);
  t.ok(inFlight >= heldLogins, `${String(inFlight)} requests were in flight when the signal was sent`);

  const expected = (record: Record_): boolean => {
    if (record.outcome.kind !== 'response') return false;
    const status = record.outcome.status;
    if (record.what === 'discovery' || record.what.endsWith('userinfo')) return status === 200;
    if (record.what === 'token') return status === 400;
    if (record.what.endsWith(' token')) return status === 200;
    return status === 302;
  };
  const before = records.filter((record) => record.started < signalAt);
  const after = records.filter((record) => record.started >= signalAt);
  const failedBefore = before.filter((record) => !expected(record));
  t.same(
    failedBefore.map((record) => `${record.what}: ${record.outcome.kind === 'error' ? record.outcome.code : String(record.outcome.status)}`),
    [],
    `every one of the ${String(before.length)} requests sent before SIGTERM was answered as expected`,
  );
  const refusedAfter = after.filter((record) => !expected(record));
  for (const record of refusedAfter) {
    const outcome = record.outcome;
    t.ok(outcome.kind === 'error' || outcome.status === 503, `after SIGTERM, ${record.what} was refused cleanly (${outcome.kind === 'error' ? outcome.code : String(outcome.status)})`);
  }
  t.match(bridge.output().stdout, /shutting down/);
  const refusals = new Map<string, number>();
  for (const record of refusedAfter) {
    const key = record.outcome.kind === 'error' ? record.outcome.code : String(record.outcome.status);
    refusals.set(key, (refusals.get(key) ?? 0) + 1);
  }
  t.comment(
    `sigterm: ${String(inFlight)} requests in flight at SIGTERM (${String(heldLogins)} held callbacks, ${String(workers)} workers); ${String(before.length)} requests before the signal, 0 failed; ` +
      `${String(after.length - refusedAfter.length)} answered and ${String(refusedAfter.length)} refused after it (${String(closedUnread)} closed unread and sent again; ${[...refusals].map(([key, count]) => `${key} ×${String(count)}`).join(', ')}); exit ${String(exitCode)} in ${exitMs.toFixed(0)} ms after release`,
  );
});
