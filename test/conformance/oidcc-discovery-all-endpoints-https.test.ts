// @see OIDC Discovery §3 (URLs use https), RFC 8414 §2, RFC 9700 §4.13 (TLS is terminated by the proxy in front)
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { KeySet } from '../../src/keys.js';
import { createLogger } from '../../src/logging.js';
import { MemoryStore } from '../../src/store/memory.js';

const config = loadConfig({
  PUBLIC_URL: 'https://login.example.com/kakao',
  DATA_DIR: t.testdir(),
  KAKAO_CLIENT_ID: 'k',
  OIDC_CLIENT_ID: 'rp',
  OIDC_CLIENT_SECRET: 'rp-secret',
  OIDC_REDIRECT_URIS: 'https://rp.example.com/cb',
});
const store = new MemoryStore();
const app = await buildApp(config, {
  store,
  keys: await KeySet.load(config.dataDir, ['RS256']),
  cookieSecret: 'a-cookie-secret-of-at-least-32-characters',
  logger: createLogger('silent'),
});
t.teardown(async () => {
  await app.close();
  await store.close();
});

t.test('publishes https URLs for every endpoint when PUBLIC_URL is https, whatever the request said', async (t) => {
  const response = await app.inject({ method: 'GET', url: '/kakao/.well-known/openid-configuration', headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' } });
  const metadata = response.json<Record<string, unknown>>();
  t.equal(metadata.issuer, 'https://login.example.com/kakao');
  const urls = Object.entries(metadata).filter(([name]) => name.endsWith('_endpoint') || name.endsWith('_uri'));
  t.ok(urls.length >= 4);
  for (const [name, value] of urls) t.ok(String(value).startsWith('https://login.example.com/kakao/'), `${name}: ${String(value)}`);
});
