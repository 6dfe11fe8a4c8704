// @see OIDC Core §3.1.2.1 (display is OPTIONAL; Kakao shows its own page, so the value is accepted and ignored)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, goesToKakao, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('signs in with display=popup', async (t) => {
  t.ok(goesToKakao(bridge, await authorize(bridge, { extra: { display: 'popup' } })), 'the login goes on to Kakao');
  const { claims } = await verifiedLogin(bridge, { extra: { display: 'popup' } });
  t.equal(claims.sub, bridge.kakao.user.id);
});
