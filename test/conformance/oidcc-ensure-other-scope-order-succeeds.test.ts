// @see RFC 6749 §3.3 (scope is an unordered, space-delimited list)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('grants the same scopes whatever their order', async (t) => {
  const first = await verifiedLogin(bridge, { scope: 'email openid profile' });
  const second = await verifiedLogin(bridge, { scope: 'profile  email openid' });
  t.equal(first.tokens.scope, 'openid profile email');
  t.equal(second.tokens.scope, 'openid profile email');
  t.equal(first.claims.email, second.claims.email);
  t.equal(first.claims.sub, second.claims.sub);
});
