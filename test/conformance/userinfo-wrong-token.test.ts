// @see RFC 6750 §3, §3.1 (401, WWW-Authenticate: Bearer error="invalid_token"), OIDC Core §5.3.3
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('answers unknown, altered and missing tokens with 401 and a Bearer invalid_token challenge', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  const cases: Record<string, RequestInit> = {
    unknown: { headers: { authorization: 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } },
    'one character changed': { headers: { authorization: `Bearer ${tokens.access_token.slice(0, -1)}${tokens.access_token.endsWith('A') ? 'B' : 'A'}` } },
    'the id_token as bearer': { headers: { authorization: `Bearer ${tokens.id_token ?? ''}` } },
    'missing': {},
    'another scheme': { headers: { authorization: `Basic ${tokens.access_token}` } },
    'empty bearer': { headers: { authorization: 'Bearer ' } },
  };
  for (const [name, init] of Object.entries(cases)) {
    const response = await fetch(`${bridge.issuer}/userinfo`, init);
    t.equal(response.status, 401, name);
    t.match(response.headers.get('www-authenticate'), /^Bearer realm="[^"]+", error="invalid_token"/, name);
    t.notMatch(await response.text(), /"sub"/, `${name}: no claims`);
  }
  t.equal((await getUserinfo(bridge, tokens.access_token)).status, 200, 'the real token still works');
});
