// @see OIDC Core §3.1.2.1 (max_age), §2 (auth_time). Known deviation: Kakao does not say how old its
// session is, so any max_age makes Kakao authenticate again; the OpenID suite's expectation that
// auth_time stays the same across the two logins cannot hold (auth_time is always truthful instead).
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, kakaoParams, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('returns auth_time for max_age=15000 then max_age=10000, with the same sub', async (t) => {
  const first = await verifiedLogin(bridge, { extra: { max_age: '15000' } });
  const second = await verifiedLogin(bridge, { extra: { max_age: '10000' } });
  t.type(first.claims.auth_time, 'number');
  t.type(second.claims.auth_time, 'number');
  t.equal(second.claims.sub, first.claims.sub);
  t.ok((second.claims.auth_time as number) >= (first.claims.auth_time as number));
  t.ok(Math.floor(Date.now() / 1000) - (second.claims.auth_time as number) <= 10_000, 'within max_age');
});

t.test('forwards the re-authentication to Kakao', async (t) => {
  t.equal(kakaoParams(await authorize(bridge, { extra: { max_age: '10000' } })).get('prompt'), 'login');
});
