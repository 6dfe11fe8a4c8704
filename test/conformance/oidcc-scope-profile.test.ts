// @see OIDC Core §5.4 (profile scope), §5.1 (standard claims), §5.3.2
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);
bridge.kakao.user = { ...bridge.kakao.user, gender: 'female', birthyear: '1990', birthday: '0214', birthdayType: 'SOLAR' };

t.test('returns the profile claims Kakao has, in the id_token and userinfo, and nothing of other scopes', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge, { scope: 'openid profile' });
  t.equal(tokens.scope, 'openid profile');
  const userinfo = (await (await getUserinfo(bridge, tokens.access_token)).json()) as Record<string, unknown>;
  const expected = { name: bridge.kakao.user.nickname, nickname: bridge.kakao.user.nickname, picture: bridge.kakao.user.profileImageUrl, gender: 'female', birthdate: '1990-02-14' };
  for (const [name, value] of Object.entries(expected)) {
    t.equal(claims[name], value, `id_token ${name}`);
    t.equal(userinfo[name], value, `userinfo ${name}`);
  }
  for (const name of ['email', 'email_verified', 'phone_number', 'phone_number_verified']) {
    t.notOk(name in claims, `no ${name} in the id_token`);
    t.notOk(name in userinfo, `no ${name} in userinfo`);
  }
});
