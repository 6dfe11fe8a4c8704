import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupPageHtml } from '../../src/ops/setup-page.js';
import { configFileClients, confidential, jwtUserinfoClient, kakaoApp, publicClient, startBridge } from '../helpers/bridge.js';

const cookieSecret = 'cookie-secret-that-must-never-be-shown-0123456789';
const bizSecret = 'biz-kakao-secret-never-shown';
const multiSecret = 'multi-client-secret-never-shown';

/** Outside the test's testdir, which startBridge resets. */
const dir = mkdtempSync(join(tmpdir(), 'setup-page-'));
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true });
});
let files = 0;

/** The helper's clients, plus a second Kakao app and a client that may use either connector. */
function configFile(extraClients: Record<string, unknown>[] = []): string {
  const path = join(dir, `setup-${++files}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      connectors: [{ id: 'kakao-biz', client_id: 'biz-rest-key', client_secret: bizSecret, scopes: ['profile_nickname', 'account_email'] }],
      clients: [
        ...configFileClients,
        { client_id: 'multi', client_secret: multiSecret, redirect_uris: ['https://logto.example.com/callback/abc123'] },
        ...extraClients,
      ],
    }),
  );
  return path;
}

t.test('shows the issuer, the Redirect URI for each Kakao app and the Logto values for each client', async (t) => {
  const bridge = await startBridge(t, { env: { CONFIG_FILE: configFile(), COOKIE_SECRET: cookieSecret } });
  const response = await fetch(`${bridge.issuer}/`);
  t.equal(response.status, 200);
  const html = await response.text();
  const { issuer } = bridge;
  t.match(html, `<code>${issuer}</code>`, 'the issuer');
  t.match(html, `<code>${issuer}/callback/kakao</code>`, 'Redirect URI of the env connector');
  t.match(html, `<code>${issuer}/callback/kakao-biz</code>`, 'Redirect URI of the file connector');
  t.match(html, '<code>profile_nickname account_email</code>', 'its consent items');
  for (const endpoint of ['authorize', 'token', 'userinfo', 'jwks']) t.match(html, `<code>${issuer}/${endpoint}</code>`, endpoint);
  for (const clientId of [confidential.clientId, publicClient.clientId, jwtUserinfoClient.clientId, 'multi']) {
    t.match(html, `Client <code>${clientId}</code>`, `a section for ${clientId}`);
  }
  t.match(html, '<code>openid profile email</code>', 'the OIDC scope');
  t.match(html, '<code>profile email</code>', 'the OAuth scope');
  t.match(html, '<code>client_secret_post</code>', 'the auth method');
  t.match(html, '<code>json</code>', 'tokenEndpointResponseType');
  t.match(html, 'https://logto.example.com/callback/abc123', 'the registered redirect URIs');

  const pres = [...html.matchAll(/<pre>([^<]*)<\/pre>/g)].map((match) => JSON.parse((match[1] ?? '').replaceAll('&#34;', '"')) as unknown);
  t.same(pres.find((value) => typeof value === 'object' && value !== null && 'jwksUri' in value), { jwksUri: `${issuer}/jwks`, issuer });
  t.ok(pres.some((value) => JSON.stringify(value) === JSON.stringify({ id: 'sub', avatar: 'picture' })), 'profileMap');
  t.ok(pres.some((value) => JSON.stringify(value) === JSON.stringify({ connector_id: 'kakao-biz' })), 'customConfig for a client with two connectors');

  t.match(response.headers.get('content-type'), /^text\/html; charset=utf-8/);
  t.match(response.headers.get('content-security-policy'), /default-src 'none'/);
  t.match(response.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  t.equal(response.headers.get('x-frame-options'), 'DENY');
  t.equal(response.headers.get('referrer-policy'), 'no-referrer');
  t.equal(response.headers.get('x-content-type-options'), 'nosniff');
  t.notMatch(html, /<script/i);
});

t.test('never shows a secret: client secrets, Kakao secrets, the cookie secret', async (t) => {
  const bridge = await startBridge(t, { env: { CONFIG_FILE: configFile(), COOKIE_SECRET: cookieSecret } });
  const html = await (await fetch(`${bridge.issuer}/`)).text();
  const secrets = { clientSecret: confidential.clientSecret, jwtClientSecret: jwtUserinfoClient.clientSecret, multiSecret, kakaoSecret: kakaoApp.clientSecret, bizSecret, cookieSecret };
  for (const [name, secret] of Object.entries(secrets)) t.notOk(html.includes(secret), `${name} is not shown`);
  t.notOk(html.includes(kakaoApp.clientId), 'nor the Kakao REST API key (it calls other Kakao APIs)');
  t.notOk(html.includes('biz-rest-key'));
});

t.test('escapes configured values', async (t) => {
  const hostile = '<img src=x onerror=alert(1)>"\'&';
  const bridge = await startBridge(t, {
    env: { CONFIG_FILE: configFile([{ client_id: hostile, client_secret: 'x'.repeat(16), redirect_uris: ['https://rp.example/cb?a=1&b=<2>'] }]) },
  });
  const html = await (await fetch(`${bridge.issuer}/`)).text();
  t.notOk(html.includes('<img'), 'no markup from the configuration');
  t.match(html, '&#60;img src=x onerror=alert(1)&#62;&#34;&#39;&#38;');
  t.match(html, 'https://rp.example/cb?a=1&#38;b=&#60;2&#62;');
});

t.test('answers 404 with SETUP_PAGE=false', async (t) => {
  const bridge = await startBridge(t, { env: { SETUP_PAGE: 'false' } });
  const response = await fetch(`${bridge.issuer}/`);
  t.equal(response.status, 404);
  t.notMatch(await response.text(), /callback/);
});

t.test('is also served at the path of PUBLIC_URL', async (t) => {
  const bridge = await startBridge(t, { issuerPath: '/kakao' });
  for (const url of [bridge.issuer, `${bridge.issuer}/`, `${new URL(bridge.issuer).origin}/`]) {
    const response = await fetch(url);
    t.equal(response.status, 200, url);
    t.match(await response.text(), `<code>${bridge.issuer}/callback/kakao</code>`);
  }
});

t.test('marks a public client, which Logto cannot use, and offers auth method none', async (t) => {
  const html = setupPageHtml({
    issuer: 'https://login.example.com',
    endpoints: {
      authorization: 'https://login.example.com/authorize',
      token: 'https://login.example.com/token',
      userinfo: 'https://login.example.com/userinfo',
      jwks: 'https://login.example.com/jwks',
      callback: (id) => `https://login.example.com/callback/${id}`,
    },
    connectors: [
      { id: 'kakao', type: 'kakao', clientId: 'k', clientSecret: undefined, scopes: [], authUrl: 'https://kauth.kakao.com', apiUrl: 'https://kapi.kakao.com' },
    ],
    clients: [
      {
        clientId: 'spa',
        clientSecret: undefined,
        redirectUris: ['https://app.example/cb'],
        connectorIds: ['kakao'],
        accessTokenTtl: 3600,
        idTokenTtl: 3600,
        userinfoSignedResponseAlg: undefined,
      },
    ],
  });
  t.match(html, /public client/);
  t.match(html, '<code>none</code>');
  t.match(html, /not configured: leave the console’s Client secret Activation state OFF/);
  t.match(html, 'as configured in the console');
  t.notMatch(html, /connector_id/, 'no customConfig with a single connector');
});
