// @see OIDC Core §3.1.2.1 (ui_locales is OPTIONAL, a preference the OP may ignore), §15.1
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, goesToKakao, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('signs in with ui_locales', async (t) => {
  t.ok(goesToKakao(bridge, await authorize(bridge, { extra: { ui_locales: 'ko-KR en se' } })), 'the login goes on to Kakao');
  const { claims } = await verifiedLogin(bridge, { extra: { ui_locales: 'ko-KR en se' } });
  t.equal(claims.sub, bridge.kakao.user.id);
});
