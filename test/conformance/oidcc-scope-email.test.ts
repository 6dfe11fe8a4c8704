// @see OIDC Core §5.4 (email scope), §5.1 (email_verified), §5.7 (claim stability); Kakao: use an email only when is_email_valid and is_email_verified
import t from 'tap';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);
t.beforeEach(() => {
  bridge.kakao.user = { ...defaultFakeUser };
});

t.test('returns email and email_verified true for a Kakao-verified email, and no profile claims', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge, { scope: 'openid email' });
  const userinfo = (await (await getUserinfo(bridge, tokens.access_token)).json()) as Record<string, unknown>;
  for (const source of [claims, userinfo]) {
    t.equal(source.email, defaultFakeUser.email);
    t.equal(source.email_verified, true);
    t.notOk('name' in source);
  }
});

t.test('marks an email Kakao did not both validate and verify as email_verified false', async (t) => {
  for (const flags of [{ isEmailValid: true, isEmailVerified: false }, { isEmailValid: false, isEmailVerified: true }]) {
    bridge.kakao.user = { ...defaultFakeUser, ...flags };
    const { claims } = await verifiedLogin(bridge, { scope: 'openid email' });
    t.equal(claims.email, defaultFakeUser.email, JSON.stringify(flags));
    t.equal(claims.email_verified, false, JSON.stringify(flags));
  }
});

t.test('omits both email claims when the user did not consent to email', async (t) => {
  bridge.kakao.user = { ...defaultFakeUser, email: undefined };
  const { claims } = await verifiedLogin(bridge, { scope: 'openid email' });
  t.notOk('email' in claims);
  t.notOk('email_verified' in claims);
});
