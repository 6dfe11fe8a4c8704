// @see OIDC Core §3.1.2.1 (login_hint), Kakao's /oauth/authorize login_hint
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, kakaoParams, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('forwards login_hint to Kakao and signs in', async (t) => {
  t.equal(kakaoParams(await authorize(bridge, { extra: { login_hint: 'kakao.kim@kakao.com' } })).get('login_hint'), 'kakao.kim@kakao.com');
  const { claims } = await verifiedLogin(bridge, { extra: { login_hint: 'kakao.kim@kakao.com' } });
  t.equal(claims.sub, bridge.kakao.user.id);
});
