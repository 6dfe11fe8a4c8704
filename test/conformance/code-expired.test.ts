// @see RFC 6749 §4.1.2 (codes are short-lived, 10 minutes at most; here 60 s), §10.5
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { startBridge } from '../helpers/bridge.js';
import { freshCode, oauthError } from '../helpers/conformance.js';
import { authorizeUrl, redeemCode } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a code redeemed after its 60 s lifetime with invalid_grant', async (t) => {
  const code = await freshCode(bridge);
  bridge.advanceClock(61);
  t.teardown(() => {
    bridge.advanceClock(-61);
  });
  const response = await redeemCode(bridge, code);
  t.equal(response.status, 400);
  t.equal((await oauthError(response)).error, 'invalid_grant');
});

t.test('refuses a made-up code with invalid_grant', async (t) => {
  t.equal((await oauthError(await redeemCode(bridge, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))).error, 'invalid_grant');
});

t.test('ends a login abandoned beyond LOGIN_TTL: the callback yields no code', async (t) => {
  const browser = new Browser();
  const callback = await browser.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
  bridge.advanceClock(601);
  t.teardown(() => {
    bridge.advanceClock(-601);
  });
  const response = await browser.get(callback.href);
  t.equal(response.status, 400);
  t.equal(response.headers.get('location'), null);
});
