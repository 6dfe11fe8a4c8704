// @see RFC 6585 §4 (429 Too Many Requests), RFC 6749 §5.2 (error response)
import t from 'tap';
import { confidential, jwtUserinfoClient, startBridge } from '../helpers/bridge.js';
import { basic, clientAssertion, freshCode, jwtBearer } from '../helpers/conformance.js';

const bridge = await startBridge(t, { env: { RATE_LIMIT_TOKEN: '3', TRUST_PROXY: 'true' } });

function tokenFrom(ip: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${bridge.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip, ...headers },
    body: new URLSearchParams(form),
  });
}

const post = (client: { clientId: string; clientSecret: string; redirectUri: string }, code = 'not-a-code') => ({
  grant_type: 'authorization_code',
  code,
  redirect_uri: client.redirectUri,
  client_id: client.clientId,
  client_secret: client.clientSecret,
});

t.test('answers the token request past RATE_LIMIT_TOKEN per minute for one client with 429 JSON and Retry-After', async (t) => {
  for (let index = 0; index < 3; index++) t.equal((await tokenFrom('192.0.2.1', post(confidential))).status, 400, 'invalid_grant');
  const limited = await tokenFrom('192.0.2.1', post(confidential));
  t.equal(limited.status, 429);
  const retryAfter = Number(limited.headers.get('retry-after'));
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${String(retryAfter)} s`);
  t.match(limited.headers.get('content-type'), /^application\/json/);
  t.equal(limited.headers.get('cache-control'), 'no-store');
  const body = (await limited.json()) as { error: string; error_description: string };
  t.equal(body.error, 'temporarily_unavailable');
  t.match(body.error_description, new RegExp(`retry in ${String(retryAfter)} s`));
});

t.test('counts client_secret_basic and client_secret_jwt requests of the same client in the same budget', async (t) => {
  const { redirectUri, clientId, clientSecret } = jwtUserinfoClient;
  const form = { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: redirectUri };
  t.equal((await tokenFrom('192.0.2.2', form, { authorization: basic(clientId, clientSecret) })).status, 400);
  t.equal((await tokenFrom('192.0.2.2', { ...form, client_id: clientId, client_secret: clientSecret })).status, 400);
  t.equal((await tokenFrom('192.0.2.2', form, { authorization: basic(clientId, 'wrong') })).status, 401, 'a wrong secret counts too');
  t.equal((await tokenFrom('192.0.2.2', form, { authorization: basic(clientId, clientSecret) })).status, 429, 'Basic header: limited');
  const assertion = await clientAssertion(bridge, { iss: confidential.clientId, sub: confidential.clientId });
  const assertionForm = { ...form, client_assertion_type: jwtBearer, client_assertion: assertion };
  t.not((await tokenFrom('192.0.2.2', assertionForm)).status, 429, 'another client (named by the assertion) has its own budget');
});

t.test('gives each client its own budget, so one client cannot use up another’s', async (t) => {
  for (let index = 0; index < 3; index++) t.equal((await tokenFrom('192.0.2.3', post(confidential))).status, 400);
  t.equal((await tokenFrom('192.0.2.3', post(confidential))).status, 429);
  t.equal((await tokenFrom('192.0.2.3', post(jwtUserinfoClient))).status, 400, 'the other client from the same address goes on');
});

t.test('keys a client by its address too: a stranger sending its client_id does not lock the relying party out', async (t) => {
  for (let index = 0; index < 4; index++) await tokenFrom('192.0.2.66', post(confidential));
  t.equal((await tokenFrom('192.0.2.66', post(confidential))).status, 429, 'the stranger is limited');
  const code = await freshCode(bridge);
  const response = await tokenFrom('192.0.2.4', post(confidential, code));
  t.equal(response.status, 200, 'the relying party redeems its code');
});

t.test('made-up client ids share one budget per address, so they cannot open new ones', async (t) => {
  for (let index = 0; index < 3; index++) {
    t.equal((await tokenFrom('192.0.2.5', { grant_type: 'authorization_code', code: 'c', client_id: `made-up-${String(index)}`, client_secret: 's' })).status, 401);
  }
  t.equal((await tokenFrom('192.0.2.5', { grant_type: 'authorization_code', code: 'c', client_id: 'made-up-4', client_secret: 's' })).status, 429);
  t.equal((await tokenFrom('192.0.2.5', { grant_type: 'authorization_code', code: 'c' })).status, 429, 'no client id at all: the same budget');
});

t.test('a malformed body is counted too', async (t) => {
  const malformed = (): Promise<Response> =>
    fetch(`${bridge.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': '192.0.2.6' },
      body: `client_id=${confidential.clientId}&client_id=${confidential.clientId}&code=${'c'.repeat(300)}`,
    });
  for (let index = 0; index < 3; index++) t.equal((await malformed()).status, 400);
  t.equal((await malformed()).status, 429);
});
