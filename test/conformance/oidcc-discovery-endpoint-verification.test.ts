// @see OIDC Discovery §3 (required metadata), §4 (issuer + /.well-known/openid-configuration), §4.3 (issuer identical),
// RFC 8414 §2, RFC 7517 §4 / RFC 7518 §6.3.2.1 (no private parts in the JWKS), OIDC Core §10.1 (kid), RFC 9207 §3
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { publishedKeys } from '../helpers/conformance.js';

const bridge = await startBridge(t, { issuerPath: '/kakao' });
const discoveryUrl = `${bridge.issuer}/.well-known/openid-configuration`;
const response = await fetch(discoveryUrl);
const metadata = (await response.clone().json()) as Record<string, unknown>;
const list = (name: string): string[] => (Array.isArray(metadata[name]) ? (metadata[name] as string[]) : []);

t.test('serves the metadata as JSON with 200 at issuer + /.well-known/openid-configuration', (t) => {
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  t.equal(metadata.issuer, bridge.issuer, 'issuer is exactly the discovery URL prefix');
  t.equal(`${String(metadata.issuer)}/.well-known/openid-configuration`, discoveryUrl);
  const issuer = new URL(String(metadata.issuer));
  t.equal(issuer.search + issuer.hash, '', 'issuer has no query or fragment');
  t.end();
});

t.test('has every required field, and every endpoint under the issuer', (t) => {
  for (const name of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) {
    t.ok(name in metadata, name);
  }
  for (const name of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri']) {
    t.ok(String(metadata[name]).startsWith(`${bridge.issuer}/`), `${name} under the issuer`);
  }
  t.end();
});

t.test('advertises what a code-flow OP must: code, public subjects, RS256, openid, S256, query, iss', (t) => {
  t.ok(list('response_types_supported').includes('code'));
  t.ok(list('subject_types_supported').every((type) => type === 'public' || type === 'pairwise') && list('subject_types_supported').length > 0);
  t.ok(list('id_token_signing_alg_values_supported').includes('RS256'), 'RS256 (Discovery §3: MUST be included)');
  t.notOk(list('id_token_signing_alg_values_supported').includes('none'));
  t.ok(Array.isArray(metadata.userinfo_signing_alg_values_supported), 'userinfo_signing_alg_values_supported is an array');
  t.notOk(list('userinfo_signing_alg_values_supported').includes('none'));
  t.ok(list('scopes_supported').includes('openid'));
  t.ok(list('scopes_supported').every((scope) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)), 'scope tokens are RFC 6749 §3.3 syntax');
  t.ok(list('grant_types_supported').includes('authorization_code'));
  t.same(list('code_challenge_methods_supported'), ['S256']);
  t.same(list('response_modes_supported'), ['query']);
  t.ok(list('token_endpoint_auth_methods_supported').includes('client_secret_basic'));
  t.notOk(list('token_endpoint_auth_signing_alg_values_supported').includes('none'));
  t.ok(list('claims_supported').includes('sub'));
  t.equal(metadata.claims_parameter_supported, false);
  t.equal(metadata.request_parameter_supported, false);
  t.equal(metadata.request_uri_parameter_supported, false);
  t.equal(metadata.authorization_response_iss_parameter_supported, true);
  t.notOk('registration_endpoint' in metadata, 'no dynamic registration');
  t.end();
});

t.test('serves a reachable JWKS of public signing keys, each with a unique kid, alg and use', async (t) => {
  const jwks = await fetch(String(metadata.jwks_uri));
  t.equal(jwks.status, 200);
  t.match(jwks.headers.get('content-type'), /^application\/json/);
  const keys = await publishedKeys(bridge);
  t.ok(keys.length > 0);
  t.equal(new Set(keys.map((key) => key.kid)).size, keys.length, 'kids are unique');
  for (const key of keys) {
    t.type(key.kid, 'string');
    t.equal(key.use, 'sig');
    t.ok(list('id_token_signing_alg_values_supported').includes(key.alg ?? '') || list('userinfo_signing_alg_values_supported').includes(key.alg ?? ''), `${String(key.alg)} advertised`);
    if (key.alg === 'RS256') {
      t.equal(key.kty, 'RSA');
      t.ok(Buffer.from(key.n ?? '', 'base64url').length >= 256, 'RSA modulus of at least 2048 bits');
    }
    if (key.alg === 'ES256') t.match(key, { kty: 'EC', crv: 'P-256' });
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']) t.notOk(secret in key, `no private or symmetric member ${secret}`);
  }
});

t.test('answers at the root too, with the same issuer (a proxy that strips the path)', async (t) => {
  const root = (await (await fetch(`${new URL(bridge.issuer).origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  t.equal(root.issuer, bridge.issuer);
});
