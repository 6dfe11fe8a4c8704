// @see OIDC Core §3.1.2.1 (acr_values is a voluntary request), §5.5.1.1
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, goesToKakao, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('signs in with acr_values', async (t) => {
  t.ok(goesToKakao(bridge, await authorize(bridge, { extra: { acr_values: '1 2 urn:mace:incommon:iap:silver' } })), 'the login goes on to Kakao');
  const { claims } = await verifiedLogin(bridge, { extra: { acr_values: '1 2 urn:mace:incommon:iap:silver' } });
  t.equal(claims.sub, bridge.kakao.user.id);
});
