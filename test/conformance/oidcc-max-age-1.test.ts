// @see OIDC Core §3.1.2.1 (max_age; auth_time REQUIRED when it is sent), §2
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, kakaoParams, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('re-authenticates at Kakao for max_age=1 and returns a fresh auth_time', async (t) => {
  const first = await verifiedLogin(bridge);
  t.equal(kakaoParams(await authorize(bridge, { extra: { max_age: '1' } })).get('prompt'), 'login', 'Kakao is asked to log the user in again');
  const started = Math.floor(Date.now() / 1000);
  const second = await verifiedLogin(bridge, { extra: { max_age: '1' } });
  t.type(second.claims.auth_time, 'number');
  t.ok((second.claims.auth_time as number) >= started, 'auth_time is not older than the request');
  t.ok((second.claims.auth_time as number) >= (first.claims.auth_time as number), 'not earlier than the first login');
  t.ok(Math.floor(Date.now() / 1000) - (second.claims.auth_time as number) <= 1, 'within max_age');
});

t.test('treats max_age=0 like prompt=login', async (t) => {
  t.equal(kakaoParams(await authorize(bridge, { extra: { max_age: '0' } })).get('prompt'), 'login');
});
