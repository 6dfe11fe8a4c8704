import t from 'tap';
import { request as httpRequest } from 'node:http';
import { trustProxyOption } from '../../src/ops/proxy.js';
import { confidential, startBridge, type TestBridge } from '../helpers/bridge.js';
import { authorizeUrl } from '../helpers/flow.js';

interface RawResponse {
  status: number;
  location: string | undefined;
  body: string;
}

/** A GET with headers fetch will not send as given (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, location: response.headers.location, body });
      });
    });
    request.on('error', reject);
    request.end();
  });
}

const forged = {
  host: 'evil.example',
  'x-forwarded-host': 'attacker.example',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '8443',
  'x-forwarded-prefix': '/evil',
  forwarded: 'host=attacker.example;proto=https',
};

t.test('derives every URL from PUBLIC_URL, whatever Host and X-Forwarded-* say, even from a trusted proxy', async (t) => {
  const bridge = await startBridge(t, { env: { TRUST_PROXY: 'true' } });
  const noForgedHost = (where: string, text: string) => {
    t.notMatch(text, /evil|attacker|8443/, `${where}: no forged host, port or prefix`);
  };

  const discovery = await rawGet(`${bridge.issuer}/.well-known/openid-configuration`, forged);
  t.equal(discovery.status, 200);
  const metadata = JSON.parse(discovery.body) as Record<string, unknown>;
  t.equal(metadata.issuer, bridge.issuer);
  for (const field of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    t.ok(String(metadata[field]).startsWith(`${bridge.issuer}/`), field);
  }
  noForgedHost('discovery', discovery.body);

  const toKakao = await rawGet(authorizeUrl(bridge), forged);
  t.equal(toKakao.status, 302);
  const kakaoUrl = new URL(toKakao.location ?? '');
  t.equal(kakaoUrl.origin, bridge.kakao.url);
  t.equal(kakaoUrl.searchParams.get('redirect_uri'), `${bridge.issuer}/callback/kakao`, 'the Kakao redirect_uri');
  noForgedHost('Kakao redirect', toKakao.location ?? '');

  const errorRedirect = await rawGet(authorizeUrl(bridge, { extra: { response_type: 'token' } }), forged);
  t.equal(errorRedirect.status, 302);
  const back = new URL(errorRedirect.location ?? '');
  t.equal(back.origin + back.pathname, confidential.redirectUri, 'back to the registered redirect_uri');
  t.equal(back.searchParams.get('error'), 'unsupported_response_type');
  t.equal(back.searchParams.get('iss'), bridge.issuer, 'iss is the issuer');
  noForgedHost('error redirect', errorRedirect.location ?? '');

  const setup = await rawGet(`${bridge.issuer}/`, forged);
  t.equal(setup.status, 200);
  t.match(setup.body, `${bridge.issuer}/callback/kakao`);
  noForgedHost('set-up page', setup.body);
});

/** The `ip` of the bridge's request log line for a request with this X-Forwarded-For. */
async function loggedIp(bridge: TestBridge, forwardedFor: string): Promise<unknown> {
  const marker = `/healthz?probe=${Math.random().toString(36).slice(2)}`;
  const before = bridge.logs.length;
  await rawGet(`${bridge.issuer}${marker}`, { 'x-forwarded-for': forwardedFor, 'x-forwarded-proto': 'https' });
  const line = bridge.logs
    .slice(before)
    .map((entry) => JSON.parse(entry) as Record<string, unknown>)
    .find((entry) => entry.msg === 'request' && entry.path === '/healthz');
  return line?.ip;
}

t.test('logs the client IP from X-Forwarded-For only when the hop is trusted', async (t) => {
  const cases: [string | undefined, string, string][] = [
    [undefined, '203.0.113.7', '127.0.0.1'],
    ['false', '203.0.113.7', '127.0.0.1'],
    ['10.0.0.0/8', '203.0.113.7', '127.0.0.1'],
    ['127.0.0.1', '203.0.113.7', '203.0.113.7'],
    ['10.0.0.0/8, 127.0.0.0/8', '198.51.100.1, 10.1.2.3', '198.51.100.1'],
    ['1', '198.51.100.1, 203.0.113.7', '203.0.113.7'],
    ['true', '198.51.100.1, 203.0.113.7', '198.51.100.1'],
  ];
  for (const [trustProxy, forwardedFor, expected] of cases) {
    const bridge = await startBridge(t, { env: trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy } });
    t.equal(await loggedIp(bridge, forwardedFor), expected, `TRUST_PROXY=${trustProxy ?? '(unset)'}, X-Forwarded-For: ${forwardedFor}`);
    await bridge.app.close();
  }
});

t.test('passes TRUST_PROXY to Fastify, a hop count as a test of the hop', async (t) => {
  t.equal(trustProxyOption(false), false);
  t.equal(trustProxyOption(true), true);
  t.equal(trustProxyOption(0), false);
  t.equal(trustProxyOption('10.0.0.0/8'), '10.0.0.0/8');
  const twoHops = trustProxyOption(2);
  if (typeof twoHops !== 'function') throw new Error('a hop count becomes a function');
  t.same([0, 1, 2].map((hop) => twoHops('192.0.2.1', hop)), [true, true, false]);
});
