import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { authorizeUrl, redeemCode } from '../helpers/flow.js';

t.test('0 turns every limit off', async (t) => {
  const bridge = await startBridge(t, { env: { RATE_LIMIT_AUTHORIZE: '0', RATE_LIMIT_CALLBACK: '0', RATE_LIMIT_TOKEN: '0' } });
  const statuses = new Set<number>();
  for (let index = 0; index < 150; index++) {
    const response = await fetch(authorizeUrl(bridge), { redirect: 'manual' });
    statuses.add(response.status);
    if (index === 0) t.equal(response.headers.get('x-ratelimit-limit'), null, 'no rate-limit headers');
    statuses.add((await fetch(`${bridge.issuer}/callback/kakao?state=s&code=c`)).status);
    statuses.add((await redeemCode(bridge, 'not-a-code')).status);
  }
  t.same([...statuses].sort(), [302, 400], 'never 429');
  t.equal(confidential.clientId, 'logto');
});

t.test('by default /authorize allows 120 requests a minute per IP', async (t) => {
  const bridge = await startBridge(t);
  t.same(bridge.config.rateLimits, { authorize: 120, callback: 120, token: 600 });
  let accepted = 0;
  let limited = 0;
  for (let index = 0; index < 125; index++) {
    const status = (await fetch(authorizeUrl(bridge), { redirect: 'manual' })).status;
    if (status === 302) accepted++;
    if (status === 429) limited++;
  }
  t.same({ accepted, limited }, { accepted: 120, limited: 5 });
});
