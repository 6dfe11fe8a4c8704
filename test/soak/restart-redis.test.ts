// Two bridge processes (src/main.ts) on one redis-server; one is restarted (SIGTERM, then started
// again on the same port) while logins run. Every login completes (a leg the restarting replica
// refuses goes to the other one, as a load balancer retries a refused connection), and tokens
// issued before the restart still work at /userinfo afterwards. RESTART_LOGINS sets the size.
import t from 'tap';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { Agent } from 'undici';
import { defaultFakeUser, startFakeKakao } from '../../src/demo/fake-kakao.js';
import { bridgeEnv, confidential, freePort, kakaoApp } from '../helpers/bridge.js';
import { authorizePath, formHeaders, Jar, pool, send, spawnBridge, startGate, tokenForm, type BridgeProcess, type Outcome } from '../helpers/load.js';
import { startRedis } from '../helpers/redis-server.js';

const logins = Number(process.env.RESTART_LOGINS ?? 300);
const concurrency = 20;

const redis = await startRedis(t);
const kakao = await startFakeKakao();
t.teardown(() => kakao.close());
const gate = await startGate(t, kakao.url);
// One PUBLIC_URL for both replicas, on a port nobody listens on: the test routes every leg to a replica itself.
const issuer = `http://127.0.0.1:${String(await freePort())}`;
kakao.addApp({ clientId: kakaoApp.clientId, clientSecret: kakaoApp.clientSecret, redirectUris: [`${issuer}/callback/kakao`] });
const ports = [await freePort(), await freePort()];
const env = (index: number, dataDir: string): Record<string, string> => ({
  ...bridgeEnv(issuer, kakao.url),
  KAKAO_API_URL: gate.url,
  PORT: String(ports[index]),
  REDIS_URL: redis.url,
  DATA_DIR: dataDir,
  // The test is the proxy: each simulated user has its own address, and the limits (shared in Redis) stay on.
  TRUST_PROXY: 'true',
  LOG_LEVEL: 'warn',
});

t.test(`restart under load: ${String(logins)} logins over two replicas, one restarted mid-way`, async (t) => {
  const dirs = [t.testdir(), `${t.testdir()}-1`];
  const replicas: (BridgeProcess | undefined)[] = await Promise.all([0, 1].map((index) => spawnBridge(t, env(index, dirs[index]!))));
  const agent = new Agent({ connections: 4 * concurrency, keepAliveTimeout: 10_000 });
  t.teardown(() => agent.close());
  const failovers = new Map<string, number>();
  const failures: string[] = [];
  const issued: { accessToken: string; idToken: string; before: boolean }[] = [];
  let restarting = false;
  let restartDone = false;

  /**
   * Sends a leg to replica `preferred`, as a load balancer would: a refused connection (the
   * replica is down) goes to the other replica, and so does a request whose kept-alive connection
   * the stopping replica closed before reading it (the HTTP/1.1 keep-alive race, RFC 9112 §9.3.1:
   * a server closes only idle connections, so such a request was never processed). That holds
   * for POST /token too, and the single-use code proves it: had the first copy been processed,
   * the second would get invalid_grant and the login would count as failed.
   */
  const leg = async (preferred: number, path: string, init: Parameters<typeof send>[2] = {}): Promise<Outcome> => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const index = (preferred + attempt) % 2;
      const outcome = await send(agent, `http://127.0.0.1:${String(ports[index])}${path}`, init);
      const retry = outcome.kind === 'error' && ['ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET'].includes(outcome.code);
      if (!retry) return outcome;
      const key = init.method === 'POST' ? `${outcome.code} (POST)` : outcome.code;
      failovers.set(key, (failovers.get(key) ?? 0) + 1);
      if (attempt % 2 === 1) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { kind: 'error', code: 'both replicas refused' };
  };

  const login = async (n: number): Promise<void> => {
    const before = !restarting;
    const ip = { 'x-forwarded-for': `10.1.${String((n >> 8) & 255)}.${String(n & 255)}` };
    const jar = new Jar();
    const state = `restart-${String(n)}`;
    // Legs alternate between the replicas, so every login crosses both.
    const authorize = await leg(n, authorizePath(state, `nonce-${String(n)}`), { headers: ip });
    jar.keep(authorize);
    if (authorize.kind !== 'response' || authorize.status !== 302 || authorize.location === undefined) throw new Error(`authorize: ${JSON.stringify(authorize).slice(0, 300)}`);
    const atKakao = await send(agent, authorize.location);
    if (atKakao.kind !== 'response' || atKakao.location === undefined) throw new Error('kakao did not redirect back');
    const callbackUrl = new URL(atKakao.location);
    const callback = await leg(n + 1, `${callbackUrl.pathname}${callbackUrl.search}`, { headers: { ...ip, ...jar.header() } });
    if (callback.kind !== 'response' || callback.location === undefined) throw new Error(`callback: ${JSON.stringify(callback).slice(0, 300)}`);
    const code = new URL(callback.location).searchParams.get('code');
    if (code === null) throw new Error(`callback without a code: ${callback.location}`);
    const token = await leg(n + 2, '/token', { method: 'POST', headers: { ...formHeaders, ...ip }, body: tokenForm(code) });
    if (token.kind !== 'response' || token.status !== 200) throw new Error(`token: ${JSON.stringify(token).slice(0, 300)}`);
    const body = JSON.parse(token.body) as { access_token: string; id_token: string };
    const userinfo = await leg(n + 3, '/userinfo', { headers: { authorization: `Bearer ${body.access_token}` } });
    if (userinfo.kind !== 'response' || userinfo.status !== 200) throw new Error(`userinfo: ${JSON.stringify(userinfo).slice(0, 300)}`);
    issued.push({ accessToken: body.access_token, idToken: body.id_token, before: before && !restarting });
  };

  let downMs = 0;
  let inFlightAtSignal = 0;
  let completed = 0;
  const restart = async () => {
    while (completed < logins / 3) await new Promise((resolve) => setTimeout(resolve, 10));
    // Keep some callbacks in flight inside replica 0 while it is told to stop.
    gate.hold();
    await gate.waitForHeld(10, 5000);
    const old = replicas[0]!;
    restarting = true;
    inFlightAtSignal = gate.held;
    const signalled = performance.now();
    old.child.kill('SIGTERM');
    setTimeout(() => gate.release(), 200);
    const [exitCode] = await old.exited;
    t.equal(exitCode, 0, 'the stopped replica exited 0');
    t.notMatch(old.output().stdout + old.output().stderr, /"level":(50|60)/, 'and logged no error');
    replicas[0] = undefined;
    replicas[0] = await spawnBridge(t, env(0, dirs[0]!));
    downMs = performance.now() - signalled;
    restartDone = true;
  };

  const started = performance.now();
  await Promise.all([
    pool(logins, concurrency, async (n) => {
      try {
        await login(n);
      } catch (error) {
        failures.push(`login ${String(n)}: ${(error as Error).message}`);
      }
      completed++;
    }),
    restart(),
  ]);
  const durationMs = performance.now() - started;
  t.ok(restartDone, 'replica 0 was restarted while logins ran');
  t.same(failures, [], `zero failed logins of ${String(logins)}`);

  // After the restart: every token issued before it still works, at both replicas (the new process included).
  const before = issued.filter((entry) => entry.before);
  t.ok(before.length >= logins / 3, `${String(before.length)} logins completed before the restart`);
  let validAfter = 0;
  for (const [index, entry] of before.entries()) {
    const answer = await send(agent, `http://127.0.0.1:${String(ports[index % 2])}/userinfo`, { headers: { authorization: `Bearer ${entry.accessToken}` } });
    if (answer.kind === 'response' && answer.status === 200 && (JSON.parse(answer.body) as { sub?: string }).sub === defaultFakeUser.id) validAfter++;
  }
  t.equal(validAfter, before.length, 'every access token issued before the restart validates at /userinfo after it');
  const jwks = await send(agent, `http://127.0.0.1:${String(ports[0])}/jwks`);
  if (jwks.kind !== 'response') throw new Error('no JWKS');
  const keys = createLocalJWKSet(JSON.parse(jwks.body) as JSONWebKeySet);
  const idToken = before[0]?.idToken ?? '';
  const { payload } = await jwtVerify(idToken, keys, { issuer, audience: confidential.clientId, currentDate: new Date() });
  t.equal(payload.sub, defaultFakeUser.id, 'an id_token signed before the restart verifies against the restarted replica’s JWKS');

  const figures = {
    logins,
    failedLogins: failures.length,
    completedBeforeRestart: before.length,
    callbacksHeldAtSigterm: inFlightAtSignal,
    legsFailedOver: Object.fromEntries(failovers),
    replicaDownMs: Math.round(downMs),
    tokensValidatedAfterRestart: validAfter,
    durationS: Number((durationMs / 1000).toFixed(1)),
  };
  t.comment(`restart figures: ${JSON.stringify(figures)}`);
});
