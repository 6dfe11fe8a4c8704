// @see RFC 6819 §5.1.4.1.3 (no cleartext storage of credentials), §5.1.4.1.4: a store dump yields nothing a client could present
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { confidential, kakaoApp, startBridge } from '../helpers/bridge.js';
import { tokensFor } from '../helpers/conformance.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);
const written: string[] = [];
const put = bridge.store.put.bind(bridge.store);
bridge.store.put = (key, value, ttl) => {
  written.push(key, value);
  return put(key, value, ttl);
};
const add = bridge.store.add.bind(bridge.store);
bridge.store.add = (key, value, ttl) => {
  written.push(key, value);
  return add(key, value, ttl);
};

t.test('writes no authorization code, access token, id_token, client secret or Kakao credential into the store', async (t) => {
  const browser = new Browser();
  const kakaoCallback = await browser.follow(authorizeUrl(bridge), `${bridge.issuer}/callback/`);
  const before = bridge.kakao.requests.length;
  const back = new URL((await browser.get(kakaoCallback.href)).headers.get('location') ?? '');
  const code = back.searchParams.get('code') ?? '';
  const tokens = await tokensFor(bridge, code);
  const kakaoAccessToken = (bridge.kakao.requests.slice(before).find((request) => request.path === '/v2/user/me')?.headers.authorization as string).replace(/^Bearer /, '');

  const secrets = {
    'authorization code': code,
    'access token': tokens.access_token,
    id_token: tokens.id_token ?? '',
    'client secret': confidential.clientSecret,
    'Kakao authorization code': kakaoCallback.searchParams.get('code') ?? '',
    'Kakao access token': kakaoAccessToken,
    'Kakao client secret': kakaoApp.clientSecret,
  };
  const everything = written.join('\n');
  t.ok(written.length > 0, 'the flow wrote records');
  for (const [name, value] of Object.entries(secrets)) {
    t.ok(value.length >= 16, `${name} is a real value`);
    t.notOk(everything.includes(value), `${name} is not in the store in the clear`);
  }
});
