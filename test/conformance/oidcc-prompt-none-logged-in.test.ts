// @see OIDC Core §3.1.2.1, §3.1.2.6. Known deviation: the bridge keeps no login session of its own
// and Kakao's silent login only works inside KakaoTalk, so prompt=none is always login_required,
// even right after a login (the OpenID suite's oidcc-prompt-none-logged-in expects a code here).
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { startBridge } from '../helpers/bridge.js';
import { authorize, errorRedirect } from '../helpers/conformance.js';
import { signIn } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('answers prompt=none with login_required even in a browser that just signed in', async (t) => {
  const browser = new Browser();
  t.ok((await signIn(bridge, {}, browser)).searchParams.get('code'));
  const params = errorRedirect(await authorize(bridge, { extra: { prompt: 'none' } }, browser));
  t.equal(params.get('error'), 'login_required');
  t.equal(params.get('iss'), bridge.issuer);
});
