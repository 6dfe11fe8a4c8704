// @see OIDC Core §5.4 (phone scope), §5.1 (phone_number in E.164, phone_number_verified)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);
bridge.kakao.user = { ...bridge.kakao.user, phoneNumber: '+82 10-1234-5678' };

t.test('returns phone_number in E.164 and phone_number_verified, and no other claims', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge, { scope: 'openid phone' });
  t.equal(tokens.scope, 'openid phone');
  const userinfo = (await (await getUserinfo(bridge, tokens.access_token)).json()) as Record<string, unknown>;
  for (const source of [claims, userinfo]) {
    t.equal(source.phone_number, '+821012345678');
    t.equal(source.phone_number_verified, true);
    t.notOk('email' in source);
    t.notOk('name' in source);
  }
});
