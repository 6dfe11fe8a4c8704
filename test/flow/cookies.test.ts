import t from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { KeySet } from '../../src/keys.js';
import { createLogger } from '../../src/logging.js';
import { MemoryStore } from '../../src/store/memory.js';

t.test('uses a Secure __Host- cookie when PUBLIC_URL is https, even behind a plain-http proxy hop', async (t) => {
  const config = loadConfig({
    PUBLIC_URL: 'https://login.example.com',
    KAKAO_CLIENT_ID: 'k',
    OIDC_CLIENT_ID: 'rp',
    OIDC_CLIENT_SECRET: 'rp-secret',
    OIDC_REDIRECT_URIS: 'https://rp.example.com/cb',
  });
  const store = new MemoryStore();
  const app = await buildApp(config, {
    store,
    keys: await KeySet.load(t.testdir(), ['RS256']),
    cookieSecret: 'a-cookie-secret-of-at-least-32-characters',
    logger: createLogger('silent'),
  });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  const response = await app.inject({
    method: 'GET',
    url: '/authorize?client_id=rp&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&response_type=code&scope=openid',
  });
  t.equal(response.statusCode, 302);
  const cookie = String(response.headers['set-cookie']);
  t.match(cookie, /^__Host-kob_browser=/);
  t.match(cookie, /Secure/);
  t.match(cookie, /Path=\//);
  t.notMatch(cookie, /Domain=/);
  t.match(String(response.headers.location), /^https:\/\/kauth\.kakao\.com\/oauth\/authorize\?/);
  t.match(String(response.headers.location), /redirect_uri=https%3A%2F%2Flogin\.example\.com%2Fcallback%2Fkakao/);
});
