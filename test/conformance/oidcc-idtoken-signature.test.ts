// @see OIDC Core §3.1.3.7 (6, 7: validate the signature with the key the kid names), §10.1, RFC 7515 §4.1.4
import t from 'tap';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { confidential, startBridge } from '../helpers/bridge.js';
import { freshCode, publishedKeys, tokensFor } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('signs the id_token so that only the JWKS key its kid names verifies it', async (t) => {
  const tokens = await tokensFor(bridge, await freshCode(bridge));
  const idToken = tokens.id_token ?? '';
  const { kid, alg, typ } = decodeProtectedHeader(idToken);
  t.equal(alg, 'RS256');
  t.equal(typ, 'JWT');
  const keys = await publishedKeys(bridge);
  const named = keys.find((key) => key.kid === kid);
  t.ok(named);
  await t.resolves(jwtVerify(idToken, createLocalJWKSet({ keys: named === undefined ? [] : [named] }), { issuer: bridge.issuer, audience: confidential.clientId }));
  const others = keys.filter((key) => key.kid !== kid).map((key) => ({ ...key, kid: String(kid) }));
  for (const other of others) await t.rejects(jwtVerify(idToken, createLocalJWKSet({ keys: [other] })), `${String(other.alg)} key does not verify it`);
});

t.test('a tampered payload no longer verifies', async (t) => {
  const tokens = await tokensFor(bridge, await freshCode(bridge));
  const [header = '', payload = '', signature = ''] = (tokens.id_token ?? '').split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: '1' })).toString('base64url')}.${signature}`;
  const jwks = createLocalJWKSet({ keys: await publishedKeys(bridge) });
  await t.rejects(jwtVerify(forged, jwks));
});
