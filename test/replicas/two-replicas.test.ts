import t from 'tap';
import { Redis } from 'ioredis';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { Browser } from '../helpers/browser.js';
import { startRedis } from '../helpers/redis-server.js';
import { codeAcross, loginAcross, redeemAt, servedPaths, startReplicas, type Leg } from '../helpers/replicas.js';

const redis = await startRedis(t);
const set = await startReplicas(t, { redisUrl: redis.url });
const legs: Leg[] = ['authorize', 'callback', 'token', 'userinfo'];

t.test('20 logins with authorize, callback, token and userinfo sent to alternating replicas: zero failures', async (t) => {
  const failures: string[] = [];
  for (let login = 0; login < 20; login++) {
    // Each leg goes to the other replica than the leg before; odd logins start on the second.
    const route = (leg: Leg, url: string) => set.at(url, login + legs.indexOf(leg));
    try {
      const { idToken, userinfo } = await loginAcross(set.issuer, route);
      if (idToken.sub !== defaultFakeUser.id || userinfo.sub !== defaultFakeUser.id) failures.push(`login ${login}: wrong subject`);
    } catch (error) {
      failures.push(`login ${login}: ${(error as Error).message}`);
    }
  }
  t.same(failures, [], 'every login succeeded');
  const raw = new Redis(redis.url);
  t.teardown(() => raw.disconnect());
  const leftOver = await Promise.all(['login', 'code'].map((kind) => raw.keys(`kob:${kind}:*`)));
  t.same(leftOver.flat(), [], 'the finished logins left no pending login or code in Redis (the access tokens carry their records)');
  for (const [index, replica] of set.replicas.entries()) {
    const paths = servedPaths(replica);
    for (const path of ['/authorize', '/callback/kakao', '/token', '/userinfo']) {
      t.equal(paths.filter((served) => served === path).length, 10, `replica ${index} answered ${path} for half of the logins`);
    }
  }
});

t.test('a code redeemed at both replicas at the same instant is honoured exactly once', async (t) => {
  for (let round = 0; round < 10; round++) {
    const code = await codeAcross(set.issuer, (leg, url) => set.at(url, leg === 'authorize' ? 0 : 1));
    const responses = await Promise.all([0, 1].map((index) => redeemAt(set.at(`${set.issuer}/token`, index), code)));
    const statuses = responses.map((response) => response.status).sort();
    t.same(statuses, [200, 400], `round ${round}: one success, one refusal`);
    const refused = responses.find((response) => response.status === 400);
    t.match(await refused?.json(), { error: 'invalid_grant' }, `round ${round}: the other gets invalid_grant`);
  }
});

t.test('a callback repeated at the other replica in the same browser gets the same redirect, until its code is redeemed', async (t) => {
  const browser = new Browser();
  let callbackUrl = '';
  const code = await codeAcross(
    set.issuer,
    (leg, url) => {
      if (leg === 'callback') callbackUrl = url;
      return set.at(url, 0);
    },
    browser,
    'rp-state-repeated',
  );
  const repeated = await browser.get(set.at(callbackUrl, 1));
  t.equal(repeated.status, 302);
  const location = new URL(repeated.headers.get('location') ?? '');
  t.equal(location.searchParams.get('code'), code, 'the code the first replica handed out');
  t.equal(location.searchParams.get('state'), 'rp-state-repeated');
  t.equal(location.searchParams.get('iss'), set.issuer);
  t.equal((await new Browser().get(set.at(callbackUrl, 1))).status, 400, 'another browser gets no code');
  t.equal((await redeemAt(set.at(`${set.issuer}/token`, 1), code)).status, 200);
  const afterRedemption = await browser.get(set.at(callbackUrl, 0));
  t.equal(afterRedemption.status, 400, 'once redeemed, the callback is expired, not a spent code');
  t.match(await afterRedemption.text(), /expired/);
});

t.test('both replicas publish the same JWKS', async (t) => {
  const [first, second] = await Promise.all(set.replicas.map(async (replica) => (await fetch(`${replica.origin}/jwks`)).json()));
  t.same(first, second);
});
