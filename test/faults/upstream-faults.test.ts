// The upstream fault matrix: every way Kakao (or the network to it) can fail, each ending in the
// right OAuth error redirect to the client (RFC 6749 §4.1.2.1, with state and RFC 9207 iss)
// within KAKAO_TIMEOUT_MS, counted in kakao_oidc_bridge_logins_failed_total{reason}, and leaving
// the bridge healthy: /healthz answers and the next login, through the same connector once the
// fault is gone, succeeds.
//
// One bridge serves every row, as production would. Each row has its own connector (CONFIG_FILE
// connectors may point KAKAO_AUTH_URL / KAKAO_API_URL elsewhere), whose token or user host is a
// closed port, an unresolvable name, or a small loopback server that misbehaves; faults the fake
// Kakao has built in run through the default connector. The browser always reaches Kakao's
// /oauth/authorize page (on the fake): only the bridge's own calls meet the fault.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { FakeKakaoFault } from '../../src/demo/fake-kakao.js';
import { Browser } from '../helpers/browser.js';
import { confidential, freePort, kakaoApp, startBridge } from '../helpers/bridge.js';
import { startFaultServer, type FaultMode, type FaultServer } from '../helpers/fault-server.js';
import { authorizeUrl, redeemCode } from '../helpers/flow.js';

t.setTimeout(5 * 60_000);

const timeoutMs = 500;
/** Scheduling slack on a loaded CI machine; the deadline itself is timeoutMs. */
const slackMs = 750;

type OAuthErrorCode = 'access_denied' | 'temporarily_unavailable' | 'server_error';
type Leg = 'authorize' | 'token' | 'user';

interface FaultCase {
  fault: string;
  /** Where the fault strikes: Kakao's redirect back, POST /oauth/token or GET /v2/user/me. */
  leg: Leg;
  /** How the fault is made. */
  via: { fake: FakeKakaoFault } | { server: FaultMode } | { host: 'closed-port' | 'unresolvable' };
  error: OAuthErrorCode;
  /** The logins_failed_total reason (several only where the environment decides, see DNS). */
  reason: string | string[];
  /** Ended by the deadline, not by an answer. */
  deadline?: boolean;
  /** HTTP requests the faulty host must see: 1 = no retry, 2 = one bounded retry. */
  requests?: number;
  /** The host the fault server stands in for, when not the leg that fails (default: `leg`). */
  serverFor?: 'token' | 'user';
  /** A fake Kakao fault armed as well (two faults in one login). */
  alsoFake?: FakeKakaoFault;
  /** Kakao calls that may each take up to KAKAO_TIMEOUT_MS (the deadline is per call): the elapsed bound. */
  calls?: number;
}

const TU = 'temporarily_unavailable';
const SE = 'server_error';

const rows: FaultCase[] = [
  { fault: 'connection refused', leg: 'token', via: { host: 'closed-port' }, error: TU, reason: 'kakao_network' },
  { fault: 'connection refused', leg: 'user', via: { host: 'closed-port' }, error: TU, reason: 'kakao_network' },
  // kauth.invalid / kapi.invalid never resolve (RFC 6761 §6.4). Here the resolver says so at once
  // (kakao_network); a resolver that cannot be reached at all would be cut off by the deadline.
  { fault: 'DNS failure (kauth.invalid)', leg: 'token', via: { host: 'unresolvable' }, error: TU, reason: ['kakao_network', 'kakao_timeout'] },
  { fault: 'DNS failure (kapi.invalid)', leg: 'user', via: { host: 'unresolvable' }, error: TU, reason: ['kakao_network', 'kakao_timeout'] },
  { fault: 'TCP reset on accept', leg: 'token', via: { server: 'reset' }, error: TU, reason: 'kakao_network' },
  { fault: 'TCP reset on accept', leg: 'user', via: { server: 'reset' }, error: TU, reason: 'kakao_network' },
  { fault: 'TLS alert bytes, not HTTP', leg: 'token', via: { server: 'not-http' }, error: TU, reason: 'kakao_network' },
  { fault: 'TLS alert bytes, not HTTP', leg: 'user', via: { server: 'not-http' }, error: TU, reason: 'kakao_network' },
  { fault: 'slow headers (never answers)', leg: 'token', via: { fake: 'token-hang' }, error: TU, reason: 'kakao_timeout', deadline: true },
  { fault: 'slow headers (never answers)', leg: 'user', via: { fake: 'me-hang' }, error: TU, reason: 'kakao_timeout', deadline: true },
  { fault: 'slow body (slow-loris, 1 byte / 50 ms)', leg: 'token', via: { server: 'slow-body' }, error: TU, reason: 'kakao_timeout', deadline: true, requests: 1 },
  { fault: 'slow body (slow-loris, 1 byte / 50 ms)', leg: 'user', via: { server: 'slow-body' }, error: TU, reason: 'kakao_timeout', deadline: true, requests: 1 },
  { fault: 'HTTP 500', leg: 'token', via: { fake: 'token-500' }, error: TU, reason: 'kakao_unavailable' },
  { fault: 'HTTP 500', leg: 'user', via: { fake: 'me-500' }, error: TU, reason: 'kakao_unavailable' },
  { fault: 'HTTP 503 (retried once)', leg: 'user', via: { server: 'status-503' }, error: TU, reason: 'kakao_unavailable', requests: 2 },
  { fault: 'HTTP 503 (POST: not retried)', leg: 'token', via: { server: 'status-503' }, error: TU, reason: 'kakao_unavailable', requests: 1 },
  { fault: 'HTTP 429', leg: 'token', via: { server: 'status-429' }, error: TU, reason: 'kakao_rate_limited', requests: 1 },
  { fault: 'KOE237 rate limit', leg: 'token', via: { fake: 'token-rate-limit' }, error: TU, reason: 'kakao_rate_limited' },
  { fault: '-10 quota exceeded', leg: 'user', via: { fake: 'me-quota' }, error: TU, reason: 'kakao_unavailable' },
  { fault: 'truncated JSON (complete response)', leg: 'token', via: { fake: 'token-truncated' }, error: SE, reason: 'kakao_malformed_response' },
  { fault: 'truncated JSON (complete response)', leg: 'user', via: { fake: 'me-truncated' }, error: SE, reason: 'kakao_malformed_response' },
  { fault: 'connection closed mid-body', leg: 'token', via: { server: 'close-mid-body' }, error: TU, reason: 'kakao_network', requests: 1 },
  { fault: 'connection closed mid-body', leg: 'user', via: { server: 'close-mid-body' }, error: TU, reason: 'kakao_network', requests: 2 },
  // Not Kakao's syntax for a token (RFC 6750 b64token): it never reaches a request header.
  { fault: 'access_token with CR LF', leg: 'token', via: { server: 'bad-access-token' }, error: SE, reason: 'kakao_malformed_response', requests: 1 },
  { fault: 'HTML instead of JSON', leg: 'token', via: { fake: 'token-html' }, error: SE, reason: 'kakao_malformed_response' },
  { fault: 'missing id', leg: 'user', via: { fake: 'me-missing-id' }, error: SE, reason: 'kakao_malformed_response' },
  { fault: 'id as a string', leg: 'user', via: { fake: 'me-string-id' }, error: SE, reason: 'kakao_malformed_response' },
  { fault: 'huge body (5 MiB, Content-Length)', leg: 'user', via: { fake: 'me-huge' }, error: SE, reason: 'kakao_too_large' },
  { fault: 'endless chunked body', leg: 'token', via: { server: 'endless' }, error: SE, reason: 'kakao_too_large', requests: 1 },
  { fault: 'redirect (to a login page)', leg: 'user', via: { fake: 'me-redirect' }, error: SE, reason: 'kakao_malformed_response' },
  { fault: 'redirect (302 from /oauth/token)', leg: 'token', via: { server: 'redirect' }, error: SE, reason: 'kakao_malformed_response', requests: 1 },
  // Two faults in one login: the token call takes 0.8 × the deadline, then /v2/user/me never
  // answers. Each Kakao call has its own deadline ("deadline per Kakao call", README), so the
  // callback ends within 2 × KAKAO_TIMEOUT_MS, not 1 ×.
  {
    fault: 'slow token (0.8 × deadline), then user/me hangs',
    leg: 'user',
    via: { server: 'delay' },
    serverFor: 'token',
    alsoFake: 'me-hang',
    error: TU,
    reason: 'kakao_timeout',
    deadline: true,
    calls: 2,
  },
  { fault: 'user cancelled', leg: 'authorize', via: { fake: 'cancel' }, error: 'access_denied', reason: 'kakao_user_cancelled' },
  { fault: 'authorize error redirect', leg: 'authorize', via: { fake: 'authorize-error' }, error: SE, reason: 'kakao_authorize_error' },
  { fault: 'KOE010 bad client credentials', leg: 'token', via: { fake: 'token-invalid-client' }, error: SE, reason: 'kakao_client_rejected' },
  { fault: '401 from /v2/user/me', leg: 'user', via: { fake: 'me-401' }, error: SE, reason: 'kakao_token_invalid' },
];

// ---- one connector per row ------------------------------------------------------------------------

interface RowSetup {
  connectorId: string;
  server?: FaultServer;
  closedPort?: number;
}

const setups: RowSetup[] = [];
const connectors: Record<string, string>[] = [];
for (const [index, row] of rows.entries()) {
  if ('fake' in row.via) {
    setups.push({ connectorId: 'kakao' });
    continue;
  }
  const connectorId = `fault-${index}`;
  const setup: RowSetup = { connectorId };
  let host: string;
  if ('server' in row.via) {
    setup.server = await startFaultServer();
    t.teardown(() => setup.server?.close());
    host = setup.server.url;
  } else if (row.via.host === 'closed-port') {
    setup.closedPort = await freePort();
    host = `http://127.0.0.1:${setup.closedPort}`;
  } else {
    host = row.leg === 'token' ? 'http://kauth.invalid' : 'http://kapi.invalid';
  }
  const serverFor = row.serverFor ?? row.leg;
  connectors.push({ id: connectorId, client_id: kakaoApp.clientId, client_secret: kakaoApp.clientSecret, [serverFor === 'token' ? 'auth_url' : 'api_url']: host });
  setups.push(setup);
}

const configDir = mkdtempSync(join(tmpdir(), 'kob-faults-'));
t.teardown(() => {
  rmSync(configDir, { recursive: true, force: true });
});
const configFile = join(configDir, 'connectors.json');
writeFileSync(configFile, JSON.stringify({ connectors }));

const bridge = await startBridge(t, {
  // Every row logs in twice from one address: the per-IP limits must not be what ends a login here.
  env: { KAKAO_TIMEOUT_MS: String(timeoutMs), CONFIG_FILE: configFile, RATE_LIMIT_AUTHORIZE: '100000', RATE_LIMIT_CALLBACK: '100000', RATE_LIMIT_TOKEN: '100000' },
});
for (const setup of setups) if (setup.server !== undefined) setup.server.target = bridge.kakao.url;
bridge.kakao.addApp({
  clientId: kakaoApp.clientId,
  clientSecret: kakaoApp.clientSecret,
  redirectUris: ['kakao', ...connectors.map((connector) => connector.id ?? '')].map((id) => `${bridge.issuer}/callback/${id}`),
});

// ---- helpers --------------------------------------------------------------------------------------

interface Attempt {
  landed: URL;
  /** The callback request alone: Kakao's redirect back until the bridge's answer. */
  elapsedMs: number;
}

/** One login through `connectorId`: to Kakao (on the fake), back to the callback, to the client. */
async function attempt(connectorId: string, state: string): Promise<Attempt> {
  const browser = new Browser();
  const started = await browser.get(authorizeUrl(bridge, { state, extra: { connector_id: connectorId } }));
  const toKakao = new URL(started.headers.get('location') ?? '');
  if (started.status !== 302 || toKakao.pathname !== '/oauth/authorize') throw new Error(`/authorize answered ${started.status}`);
  const atKakao = await browser.get(new URL(`${toKakao.pathname}${toKakao.search}`, bridge.kakao.url).href);
  const callback = atKakao.headers.get('location');
  if (atKakao.status !== 302 || callback === null || !callback.startsWith(`${bridge.issuer}/callback/`)) throw new Error(`Kakao answered ${atKakao.status}`);
  const before = performance.now();
  const done = await browser.get(callback);
  const elapsedMs = performance.now() - before;
  const location = done.headers.get('location');
  if (done.status !== 302 || location === null) throw new Error(`the callback answered ${done.status}: ${(await done.text()).slice(0, 200)}`);
  return { landed: new URL(location), elapsedMs };
}

/** A complete login through `connectorId`, the code redeemed for tokens. */
async function cleanLogin(connectorId: string): Promise<boolean> {
  const { landed } = await attempt(connectorId, 'after-the-fault');
  const code = landed.searchParams.get('code');
  if (code === null) return false;
  const response = await redeemCode(bridge, code);
  return response.status === 200 && typeof ((await response.json()) as { id_token?: unknown }).id_token === 'string';
}

type Samples = Map<string, number>;

/** Every sample of /metrics, keyed `name{label="value",…}` with labels sorted. */
async function scrape(): Promise<Samples> {
  const text = await (await fetch(`${bridge.issuer}/metrics`)).text();
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => `${name ?? ''}="${value ?? ''}"`).sort();
    samples.set(`${match[1] ?? ''}{${labels.join(',')}}`, Number(match[3]));
  }
  return samples;
}

function delta(before: Samples, after: Samples, key: string): number {
  return (after.get(key) ?? 0) - (before.get(key) ?? 0);
}

function failedTotal(samples: Samples): number {
  let total = 0;
  for (const [key, value] of samples) if (key.startsWith('kakao_oidc_bridge_logins_failed_total{')) total += value;
  return total;
}

function arm(row: FaultCase, setup: RowSetup): void {
  if ('fake' in row.via) bridge.kakao.faults.add(row.via.fake);
  else if ('server' in row.via && setup.server !== undefined) {
    setup.server.mode = row.via.server;
    setup.server.delayMs = Math.round(timeoutMs * 0.8);
  }
  if (row.alsoFake !== undefined) bridge.kakao.faults.add(row.alsoFake);
}

/** Takes the fault away; returns the connector a clean login goes through (the same one when it can). */
async function heal(row: FaultCase, setup: RowSetup): Promise<{ connectorId: string; close?: () => Promise<void> }> {
  bridge.kakao.faults.clear();
  if (setup.server !== undefined) setup.server.mode = 'pass';
  if (setup.closedPort !== undefined) {
    // The closed port opens: Kakao is back where the connector looks for it.
    const back = await startFaultServer({ port: setup.closedPort, target: bridge.kakao.url });
    return { connectorId: setup.connectorId, close: () => back.close() };
  }
  // An unresolvable host stays unresolvable: the bridge's other connector shows it is healthy.
  if ('host' in row.via) return { connectorId: 'kakao' };
  return { connectorId: setup.connectorId };
}

// ---- the matrix -----------------------------------------------------------------------------------

const matrix: string[] = ['| fault | leg | OAuth error | elapsed ms | metric reason |', '|---|---|---|---|---|'];

for (const [index, row] of rows.entries()) {
  const setup = setups[index] ?? { connectorId: 'kakao' };
  t.test(`${row.fault} (${row.leg}) ends as ${row.error}`, async (t) => {
    const reasons = Array.isArray(row.reason) ? row.reason : [row.reason];
    const state = `rp-state-${index}`;
    const before = await scrape();
    const requestsBefore = setup.server?.requests ?? 0;
    const loginPagesBefore = bridge.kakao.requests.filter((request) => request.path === '/login').length;

    arm(row, setup);
    let result: Attempt;
    const during = { requests: 0 };
    try {
      result = await attempt(setup.connectorId, state);
    } finally {
      during.requests = (setup.server?.requests ?? 0) - requestsBefore;
      const healed = await heal(row, setup);
      t.teardown(() => healed.close?.());
      t.equal((await fetch(`${bridge.issuer}/healthz`)).status, 200, 'healthz answers 200');
      t.ok(await cleanLogin(healed.connectorId), `a clean login through ${healed.connectorId} succeeds afterwards`);
      await healed.close?.();
    }
    const after = await scrape();
    const { landed, elapsedMs } = result;

    t.equal(landed.origin + landed.pathname, confidential.redirectUri, 'back at the client');
    t.equal(landed.searchParams.get('error'), row.error, 'the OAuth error');
    t.equal(landed.searchParams.get('state'), state, "the client's state");
    t.equal(landed.searchParams.get('iss'), bridge.issuer, 'iss');
    t.equal(landed.searchParams.get('code'), null, 'no code');
    const calls = row.calls ?? 1;
    t.ok(elapsedMs < calls * timeoutMs + slackMs, `within ${calls} × KAKAO_TIMEOUT_MS (${Math.round(elapsedMs)} ms)`);
    if (row.deadline === true) t.ok(elapsedMs >= timeoutMs * 0.9, 'ended by the deadline, not before');

    const reason = reasons.find((candidate) => delta(before, after, `kakao_oidc_bridge_logins_failed_total{reason="${candidate}"}`) === 1);
    t.ok(reason !== undefined, `logins_failed_total{reason=${reasons.join('|')}} counted it`);
    t.equal(failedTotal(after) - failedTotal(before), 1, 'counted once');
    if (row.leg !== 'authorize' && reason !== undefined) {
      const endpoint = row.leg === 'token' ? 'token' : 'user';
      t.equal(delta(before, after, `kakao_oidc_bridge_kakao_request_duration_seconds_count{endpoint="${endpoint}",outcome="${reason}"}`), 1, 'the Kakao call is timed under its outcome');
    }
    if (row.requests !== undefined) t.equal(during.requests, row.requests, `${row.requests} request(s) reached the faulty host`);
    if ('server' in row.via && row.via.server === 'redirect') t.equal(setup.server?.trapHits, 0, 'the redirect is not followed');
    if ('fake' in row.via && row.via.fake === 'me-redirect') {
      t.equal(bridge.kakao.requests.filter((request) => request.path === '/login').length, loginPagesBefore, 'the redirect is not followed');
    }
    matrix.push(`| ${row.fault} | ${row.leg} | ${landed.searchParams.get('error') ?? ''} | ${Math.round(elapsedMs)} | ${reason ?? '?'} |`);
  });
}

t.test('the bridge is still healthy after the whole matrix', async (t) => {
  t.equal((await fetch(`${bridge.issuer}/healthz`)).status, 200);
  t.ok(await cleanLogin('kakao'), 'a clean login succeeds');
  t.comment(`KAKAO_TIMEOUT_MS=${timeoutMs}\n${matrix.join('\n')}`);
});
