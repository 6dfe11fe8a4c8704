// @see OIDC Core §3.1.2.5, §3.1.3.3, §3.1.3.7 (ID Token validation), RFC 9207 §2
import t from 'tap';
import { decodeProtectedHeader } from 'jose';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { confidential, startBridge } from '../helpers/bridge.js';
import { discovery, freshCode, publishedKeys, tokensFor, verifyIdToken } from '../helpers/conformance.js';
import { redeemCode, signIn } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('returns a code with the state and iss to the registered redirect_uri', async (t) => {
  const callback = await signIn(bridge, { state: 'conformance-state' });
  t.equal(callback.origin + callback.pathname, confidential.redirectUri);
  t.ok(callback.searchParams.get('code'));
  t.equal(callback.searchParams.get('state'), 'conformance-state');
  t.equal(callback.searchParams.get('iss'), bridge.issuer);
});

t.test('answers the token request with a Bearer access token and an id_token, never cached', async (t) => {
  const response = await redeemCode(bridge, await freshCode(bridge));
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  t.equal(response.headers.get('cache-control'), 'no-store');
  const body = (await response.json()) as Record<string, unknown>;
  t.equal(body.token_type, 'Bearer');
  t.type(body.access_token, 'string');
  t.type(body.id_token, 'string');
  t.ok(typeof body.expires_in === 'number' && body.expires_in > 0);
});

t.test('signs the id_token with a JWKS key named by kid, in an advertised alg', async (t) => {
  const tokens = await tokensFor(bridge, await freshCode(bridge));
  const header = decodeProtectedHeader(tokens.id_token ?? '');
  const metadata = await discovery(bridge);
  t.ok((metadata.id_token_signing_alg_values_supported as string[]).includes(header.alg ?? ''), 'alg advertised');
  t.not(header.alg, 'none');
  const key = (await publishedKeys(bridge)).find((candidate) => candidate.kid === header.kid);
  t.ok(key, 'kid in the JWKS');
  t.equal(key?.alg, header.alg);
  t.equal(key?.use, 'sig');
});

t.test('issues an id_token with iss, sub, aud, exp, iat, auth_time, nonce and a correct at_hash', async (t) => {
  const before = Math.floor(Date.now() / 1000);
  const tokens = await tokensFor(bridge, await freshCode(bridge, { nonce: 'n-0S6_WzA2Mj' }));
  const after = Math.floor(Date.now() / 1000);
  const claims = await verifyIdToken(bridge, tokens.id_token ?? '', { nonce: 'n-0S6_WzA2Mj', accessToken: tokens.access_token });
  t.equal(claims.iss, bridge.issuer);
  t.equal(claims.aud, confidential.clientId);
  t.equal(claims.sub, defaultFakeUser.id);
  t.ok((claims.iat ?? 0) >= before && (claims.iat ?? 0) <= after, 'iat is now');
  t.ok((claims.exp ?? 0) > (claims.iat ?? 0), 'exp after iat');
  t.type(claims.auth_time, 'number');
  t.ok((claims.auth_time as number) <= (claims.iat ?? 0) && (claims.auth_time as number) >= before - 1, 'auth_time is this login');
  t.equal(claims.nbf, undefined, 'no nbf');
});

t.test('keeps sub stable across logins of the same Kakao user', async (t) => {
  const first = await tokensFor(bridge, await freshCode(bridge));
  const second = await tokensFor(bridge, await freshCode(bridge));
  const a = await verifyIdToken(bridge, first.id_token ?? '');
  const b = await verifyIdToken(bridge, second.id_token ?? '');
  t.equal(a.sub, b.sub);
  t.not(first.access_token, second.access_token);
});
