// @see OIDC Core §5.4 (address scope), RFC 6749 §3.3 (the server may grant fewer scopes and says so)
// Kakao's user API has no postal address for this flow: the scope is not offered (not in scopes_supported).
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { discovery, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('does not advertise address, ignores it when asked, and says which scopes it granted', async (t) => {
  t.notOk(((await discovery(bridge)).scopes_supported as string[]).includes('address'));
  const { tokens, claims } = await verifiedLogin(bridge, { scope: 'openid address' });
  t.equal(tokens.scope, 'openid');
  t.notOk('address' in claims);
});
