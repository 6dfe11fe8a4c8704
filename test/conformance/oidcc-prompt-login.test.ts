// @see OIDC Core §3.1.2.1 (prompt=login: reauthenticate), §2 (auth_time)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, kakaoParams, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('asks Kakao to authenticate again, and auth_time is the time of that second login', async (t) => {
  const first = await verifiedLogin(bridge);
  t.equal(kakaoParams(await authorize(bridge, { extra: { prompt: 'login' } })).get('prompt'), 'login');
  const started = Math.floor(Date.now() / 1000);
  const second = await verifiedLogin(bridge, { extra: { prompt: 'login' } });
  t.type(second.claims.auth_time, 'number');
  t.ok((second.claims.auth_time as number) >= started, 'auth_time is not older than the prompt=login request');
  t.ok((second.claims.auth_time as number) >= (first.claims.auth_time as number));
  t.equal(second.claims.sub, first.claims.sub);
});
