// @see OIDC Core §5.5 (claims parameter; claims_parameter_supported is false in discovery, so it is ignored)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { discovery, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('advertises no claims parameter support and signs in when one is sent anyway', async (t) => {
  t.equal((await discovery(bridge)).claims_parameter_supported, false);
  const claimsParameter = JSON.stringify({ userinfo: { name: { essential: true } }, id_token: { auth_time: { essential: true } } });
  const { claims } = await verifiedLogin(bridge, { scope: 'openid', extra: { claims: claimsParameter } });
  t.equal(claims.sub, bridge.kakao.user.id);
  t.notOk('name' in claims, 'no claim beyond the granted scopes');
});
