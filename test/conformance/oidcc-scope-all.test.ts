// @see OIDC Core §5.4 (profile email address phone), §5.3.2 (userinfo sub equals id_token sub)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);
bridge.kakao.user = { ...bridge.kakao.user, phoneNumber: '+82 10-1234-5678' };

t.test('returns every claim the granted scopes cover, the same in the id_token and userinfo', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge, { scope: 'openid profile email address phone' });
  t.equal(tokens.scope, 'openid profile email phone');
  const userinfo = (await (await getUserinfo(bridge, tokens.access_token)).json()) as Record<string, unknown>;
  for (const name of ['sub', 'name', 'nickname', 'picture', 'email', 'email_verified', 'phone_number', 'phone_number_verified']) {
    t.ok(name in claims, `id_token ${name}`);
    t.same(userinfo[name], claims[name], `userinfo ${name}`);
  }
});
