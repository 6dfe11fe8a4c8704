// @see OIDC Core §3.1.2.1 (unrecognised parameters MUST be ignored), RFC 6749 §3.1
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, goesToKakao, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('signs in with parameters it does not know', async (t) => {
  t.ok(goesToKakao(bridge, await authorize(bridge, { extra: { extra_parameter: 'foobar', 'x-custom': '<b>1</b>' } })), 'the login goes on to Kakao');
  const { claims } = await verifiedLogin(bridge, { extra: { extra_parameter: 'foobar', 'x-custom': '<b>1</b>' } });
  t.equal(claims.sub, bridge.kakao.user.id);
});
