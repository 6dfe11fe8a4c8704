// @see RFC 9700 §4.7 (CSRF), RFC 6749 §10.12, OIDC Core §3.1.2.1 (state binds the request to the browser)
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { startBridge } from '../helpers/bridge.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('yields no code when an attacker’s Kakao callback is opened in the victim’s browser', async (t) => {
  const attacker = new Browser();
  const callback = await attacker.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
  const victim = new Browser();
  await victim.get(authorizeUrl(bridge));
  const response = await victim.get(callback.href);
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null, 'no redirect, so no code reaches the relying party');
});

t.test('yields no code for a callback without the binding cookie, or with a forged one', async (t) => {
  const browser = new Browser();
  const callback = await browser.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
  t.equal((await fetch(callback.href, { redirect: 'manual' })).status, 400, 'no cookie');
  const [name = ''] = browser.cookies.keys();
  const forged = new Browser();
  forged.cookies.set(name, `${String(browser.cookies.get(name)).split('.')[0] ?? ''}.AAAA`);
  t.equal((await forged.get(callback.href)).status, 400, 'forged signature');
});

t.test('never lets the relying party state reach Kakao, nor Kakao’s state reach the relying party', async (t) => {
  const browser = new Browser();
  const callback = await browser.follow(authorizeUrl(bridge, { state: 'rp-only-state' }), `${bridge.issuer}/callback/`);
  t.not(callback.searchParams.get('state'), 'rp-only-state');
  const back = new URL((await browser.get(callback.href)).headers.get('location') ?? '');
  t.equal(back.searchParams.get('state'), 'rp-only-state');
});
