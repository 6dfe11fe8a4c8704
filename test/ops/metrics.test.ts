import t from 'tap';
import { createServer } from 'node:net';
import { ErrorRedirect, TemporarilyUnavailable, UpstreamError } from '../../src/errors.js';
import { loginFailureReason } from '../../src/ops/metrics.js';
import { Browser } from '../helpers/browser.js';
import { freePort, startBridge, type TestBridge } from '../helpers/bridge.js';
import { authorizeUrl, loginForTokens, signIn } from '../helpers/flow.js';

const bridge = await startBridge(t, { env: { KAKAO_TIMEOUT_MS: '400' } });

t.beforeEach(() => {
  bridge.kakao.faults.clear();
});

async function scrape(from: TestBridge | string): Promise<string> {
  const response = await fetch(typeof from === 'string' ? from : `${from.issuer}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** The value of one series in Prometheus text format (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const have = (match[2] ?? '').split(/,(?=[a-z_]+=")/);
    if (wanted.every((pair) => have.includes(pair))) return Number(match[3]);
  }
  return 0;
}

const m = (name: string) => `kakao_oidc_bridge_${name}`;

t.test('counts a login started and completed, its two Kakao calls, and the tokens issued', async (t) => {
  const before = await scrape(bridge);
  await loginForTokens(bridge);
  const after = await scrape(bridge);
  const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
  t.equal(delta(m('logins_started_total'), { connector: 'kakao' }), 1, 'started');
  t.equal(delta(m('logins_completed_total'), { connector: 'kakao' }), 1, 'completed');
  t.equal(delta(m('kakao_request_duration_seconds_count'), { endpoint: 'token', outcome: 'ok' }), 1, 'Kakao token call');
  t.equal(delta(m('kakao_request_duration_seconds_count'), { endpoint: 'user', outcome: 'ok' }), 1, 'Kakao user call');
  t.equal(delta(m('tokens_issued_total'), { grant_type: 'authorization_code', token_type: 'access_token' }), 1, 'access token');
  t.equal(delta(m('tokens_issued_total'), { grant_type: 'authorization_code', token_type: 'id_token' }), 1, 'id_token');
  const http = m('http_request_duration_seconds_count');
  t.equal(delta(http, { method: 'GET', route: '/authorize', status_class: '3xx' }), 1, '/authorize by route');
  t.equal(delta(http, { method: 'GET', route: '/callback/:connectorId', status_class: '3xx' }), 1, '/callback by route pattern');
  t.equal(delta(http, { method: 'POST', route: '/token', status_class: '2xx' }), 1, '/token by route');
});

t.test('counts failed logins by reason: Kakao failures, another browser, an expired login', async (t) => {
  const before = await scrape(bridge);
  bridge.kakao.faults.add('cancel');
  await signIn(bridge);
  bridge.kakao.faults.clear();
  bridge.kakao.faults.add('token-500');
  await signIn(bridge);
  bridge.kakao.faults.clear();

  const browser = new Browser();
  const callback = await browser.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
  t.equal((await new Browser().get(callback.href)).status, 400, 'another browser');
  t.equal((await browser.get(callback.href)).status, 400, 'the login is gone');

  const after = await scrape(bridge);
  const failed = (reason: string) => sample(after, m('logins_failed_total'), { reason }) - sample(before, m('logins_failed_total'), { reason });
  t.equal(failed('kakao_user_cancelled'), 1);
  t.equal(failed('kakao_unavailable'), 1);
  t.equal(failed('browser_mismatch'), 1);
  t.equal(failed('login_expired'), 1);
  const kakaoFailures =
    sample(after, m('kakao_request_duration_seconds_count'), { endpoint: 'token', outcome: 'kakao_unavailable' }) -
    sample(before, m('kakao_request_duration_seconds_count'), { endpoint: 'token', outcome: 'kakao_unavailable' });
  t.equal(kakaoFailures, 1, 'the failed Kakao call is timed with its outcome');
  t.equal(sample(after, m('logins_completed_total'), { connector: 'kakao' }), sample(before, m('logins_completed_total'), { connector: 'kakao' }));
});

t.test('labels requests by route pattern, never by the URL a client sent', async (t) => {
  await fetch(`${bridge.issuer}/no/such/path-${'x'.repeat(20)}?code=leaked-code-value`);
  await fetch(`${bridge.issuer}/callback/kakao?state=leaked-state-value&code=leaked-code-value`);
  const text = await scrape(bridge);
  t.ok(sample(text, m('http_request_duration_seconds_count'), { method: 'GET', route: 'unmatched', status_class: '4xx' }) >= 1);
  t.notMatch(text, /no\/such|leaked-|xxxxxxxx/, 'no raw path, query or parameter value');
  const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]));
  for (const route of routes) t.ok(route === 'unmatched' || route?.startsWith('/'), `route label ${String(route)}`);
});

t.test('times discovery and JWKS like every other route (their responses bypass Fastify\'s send)', async (t) => {
  const before = await scrape(bridge);
  for (const path of ['/.well-known/openid-configuration', '/jwks', '/jwks']) await (await fetch(`${bridge.issuer}${path}`)).text();
  const after = await scrape(bridge);
  const count = (text: string, route: string) => sample(text, m('http_request_duration_seconds_count'), { method: 'GET', route, status_class: '2xx' });
  t.equal(count(after, '/.well-known/openid-configuration') - count(before, '/.well-known/openid-configuration'), 1);
  t.equal(count(after, '/jwks') - count(before, '/jwks'), 2);
});

t.test('serves the Prometheus text format with the default process metrics', async (t) => {
  const response = await fetch(`${bridge.issuer}/metrics`);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  t.equal(response.headers.get('cache-control'), 'no-store');
  const text = await response.text();
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
    t.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  t.match(text, /^# HELP kakao_oidc_bridge_logins_failed_total /m);
  t.equal(sample(text, m('logins_started_total'), { connector: 'kakao' }) >= 0, true);
});

t.test('keeps a registry per app: two bridges in one process count separately', async (t) => {
  const other = await startBridge(t);
  const before = sample(await scrape(other), m('logins_started_total'), { connector: 'kakao' });
  await loginForTokens(bridge);
  t.equal(sample(await scrape(other), m('logins_started_total'), { connector: 'kakao' }), before, 'the other bridge saw nothing');
  t.equal(before, 0, 'series exist at 0 before the first login');
});

t.test('with METRICS_PORT, serves /metrics on that port only, and stops with the app', async (t) => {
  const metricsPort = await freePort();
  const separate = await startBridge(t, { env: { METRICS_PORT: String(metricsPort), HOST: '127.0.0.1' } });
  await loginForTokens(separate);
  const text = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
  t.equal(sample(text, m('logins_completed_total'), { connector: 'kakao' }), 1);
  t.match(text, /process_cpu_user_seconds_total/);
  t.equal((await fetch(`${separate.issuer}/metrics`)).status, 404, 'not on the main port');
  t.equal((await fetch(`http://127.0.0.1:${metricsPort}/`)).status, 404, 'nothing else on the metrics port');
  t.equal((await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' })).status, 404);
  await separate.app.close();
  await t.rejects(fetch(`http://127.0.0.1:${metricsPort}/metrics`), 'closed with the app');
});

t.test('fails to start when METRICS_PORT is taken', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
  const address = taken.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await t.rejects(startBridge(t, { env: { METRICS_PORT: String(port), HOST: '127.0.0.1' } }), { code: 'EADDRINUSE' });
});

t.test('names a failure by the upstream reason, else by the OAuth error the client got', async (t) => {
  t.equal(loginFailureReason(new UpstreamError('kakao_timeout', new TemporarilyUnavailable('slow'))), 'kakao_timeout');
  t.equal(loginFailureReason(new ErrorRedirect({ redirectUri: 'https://rp.example/cb', state: undefined }, new TemporarilyUnavailable('store down'))), 'temporarily_unavailable');
  t.equal(loginFailureReason(new Error('bug')), 'server_error');
});
