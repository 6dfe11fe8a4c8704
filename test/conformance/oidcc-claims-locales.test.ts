// @see OIDC Core §5.2 (claims_locales is a preference; Kakao returns its claims in one language)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, goesToKakao, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('signs in with claims_locales', async (t) => {
  t.ok(goesToKakao(bridge, await authorize(bridge, { extra: { claims_locales: 'ko-KR en' } })), 'the login goes on to Kakao');
  const { claims } = await verifiedLogin(bridge, { extra: { claims_locales: 'ko-KR en' } });
  t.equal(claims.sub, bridge.kakao.user.id);
});
