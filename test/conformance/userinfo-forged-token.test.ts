// @see RFC 6750 §3.1, RFC 8725 §2.1–§3.2 (alg none, algorithm confusion, foreign keys): access tokens are opaque, so no JWT is accepted
import t from 'tap';
import { generateKeyPair, SignJWT } from 'jose';
import { confidential, startBridge } from '../helpers/bridge.js';
import { unsignedJwt } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('answers JWTs forged with alg none, HS256 with the client secret or a foreign RSA key with 401', async (t) => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: bridge.issuer, sub: bridge.kakao.user.id, aud: confidential.clientId, scope: 'openid profile email', iat: now, exp: now + 600 };
  const { privateKey } = await generateKeyPair('RS256');
  const { kid } = (JSON.parse(await (await fetch(`${bridge.issuer}/jwks`)).text()) as { keys: { kid: string }[] }).keys[0] ?? { kid: 'x' };
  const forged: Record<string, string> = {
    'alg none': unsignedJwt(claims),
    'HS256 with the client secret': await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(new TextEncoder().encode(confidential.clientSecret)),
    'a foreign RSA key with the bridge kid': await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey),
  };
  for (const [name, token] of Object.entries(forged)) {
    const response = await getUserinfo(bridge, token);
    t.equal(response.status, 401, name);
    t.match(response.headers.get('www-authenticate'), /error="invalid_token"/, name);
  }
});
