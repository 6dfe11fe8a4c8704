import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tokenClientId } from '../../src/ops/rate-limit.js';

const minimal = {
  PUBLIC_URL: 'https://login.example.com',
  KAKAO_CLIENT_ID: 'kakao-rest-api-key',
  OIDC_CLIENT_ID: 'logto',
  OIDC_REDIRECT_URIS: 'https://logto.example.com/callback/kakao',
};

t.test('RATE_LIMIT_* and MEMORY_STORE_MAX_ENTRIES: defaults, overrides, and errors that name the variable', async (t) => {
  const defaults = loadConfig(minimal);
  t.same(defaults.rateLimits, { authorize: 120, callback: 120, token: 600 });
  t.equal(defaults.memoryStoreMaxEntries, 100_000);
  const set = loadConfig({ ...minimal, RATE_LIMIT_AUTHORIZE: '30', RATE_LIMIT_CALLBACK: '0', RATE_LIMIT_TOKEN: '1000', MEMORY_STORE_MAX_ENTRIES: '5000' });
  t.same(set.rateLimits, { authorize: 30, callback: 0, token: 1000 });
  t.equal(set.memoryStoreMaxEntries, 5000);
  t.throws(() => loadConfig({ ...minimal, RATE_LIMIT_TOKEN: '-1' }), new ConfigError('RATE_LIMIT_TOKEN', 'must be a whole number, got "-1"'));
  t.throws(() => loadConfig({ ...minimal, RATE_LIMIT_AUTHORIZE: 'lots' }), { name: 'ConfigError', message: /^RATE_LIMIT_AUTHORIZE:/ });
  t.throws(() => loadConfig({ ...minimal, MEMORY_STORE_MAX_ENTRIES: '10' }), { name: 'ConfigError', message: /^MEMORY_STORE_MAX_ENTRIES: .*between 1000 and/ });
});

t.test('the /token limit reads the client id from the form, the Basic header or the assertion, without authenticating it', async (t) => {
  const basic = (value: string) => ({ authorization: `Basic ${Buffer.from(value).toString('base64')}` });
  const jwt = (claims: object) => `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
  t.equal(tokenClientId({ body: { client_id: 'logto' }, headers: {} }), 'logto');
  t.equal(tokenClientId({ body: {}, headers: basic('my%20client:secret') }), 'my client', 'form-encoded id (RFC 6749 §2.3.1)');
  t.equal(tokenClientId({ body: undefined, headers: basic('a+b:secret') }), 'a b');
  t.equal(tokenClientId({ body: {}, headers: basic('raw%zz:secret') }), 'raw%zz', 'an id that is not form-encoded is taken as is');
  t.equal(tokenClientId({ body: {}, headers: basic('no-colon') }), undefined);
  t.equal(tokenClientId({ body: {}, headers: { authorization: 'Bearer x' } }), undefined);
  t.equal(tokenClientId({ body: { client_assertion: jwt({ sub: 'spa', iss: 'spa' }) }, headers: {} }), 'spa');
  t.equal(tokenClientId({ body: { client_assertion: 'not a jwt' }, headers: {} }), undefined);
  t.equal(tokenClientId({ body: { client_id: ['a', 'b'] }, headers: {} }), undefined, 'a repeated client_id is no key');
});
