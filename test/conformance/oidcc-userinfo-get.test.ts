// @see OIDC Core §5.3.1, §5.3.2 (sub must match the id_token), RFC 6750 §2.1
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('answers GET with the Bearer header with JSON claims whose sub is the id_token sub', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge);
  const response = await getUserinfo(bridge, tokens.access_token);
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^application\/json/);
  t.equal(response.headers.get('cache-control'), 'no-store');
  const userinfo = (await response.json()) as Record<string, unknown>;
  t.equal(userinfo.sub, claims.sub);
  for (const name of ['name', 'nickname', 'picture', 'email', 'email_verified']) t.same(userinfo[name], claims[name], name);
});

t.test('accepts the auth-scheme in any case', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, { headers: { authorization: `bearer ${tokens.access_token}` } });
  t.equal(response.status, 200);
});
