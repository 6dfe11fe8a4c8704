import t from 'tap';
import { readFileSync } from 'node:fs';
import { defaultFakeUser } from '../../src/demo/fake-kakao.js';
import { freePort } from '../helpers/bridge.js';
import { startNginx } from '../helpers/nginx.js';
import { startRedis } from '../helpers/redis-server.js';
import { loginAcross, servedPaths, startReplicas } from '../helpers/replicas.js';

const redis = await startRedis(t);
const nginxPort = await freePort();
const publicUrl = `http://127.0.0.1:${nginxPort}`;
// Behind the proxy the bridge trusts it for client addresses; URLs still come from PUBLIC_URL only.
const set = await startReplicas(t, { redisUrl: redis.url, publicUrl, env: { TRUST_PROXY: '127.0.0.1' } });
const nginx = await startNginx(t, {
  port: nginxPort,
  upstreams: set.replicas.map((replica) => `127.0.0.1:${replica.port}`),
});
const throughNginx = (_leg: string, url: string) => url;

t.test('discovery through nginx (deploy/nginx.conf) shows PUBLIC_URL, not a replica address', async (t) => {
  const response = await fetch(`${nginx.url}/.well-known/openid-configuration`);
  t.equal(response.status, 200);
  const discovery = (await response.json()) as Record<string, unknown>;
  t.equal(discovery.issuer, publicUrl);
  t.equal(discovery.token_endpoint, `${publicUrl}/token`);
});

t.test('20 logins through nginx round-robin over two replicas: zero failures', async (t) => {
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => loginAcross(set.issuer, throughNginx)));
  const failures = results.flatMap((result, index) => (result.status === 'rejected' ? [`login ${index}: ${(result.reason as Error).message}`] : []));
  t.same(failures, [], 'every login succeeded');
  const subjects = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value.userinfo.sub] : []));
  t.same(new Set(subjects), new Set([defaultFakeUser.id]));
  for (const [index, replica] of set.replicas.entries()) {
    const paths = servedPaths(replica);
    t.ok(paths.includes('/callback/kakao'), `replica ${index} answered callbacks`);
    t.ok(paths.includes('/token'), `replica ${index} answered token requests`);
    t.ok(paths.length >= 20, `replica ${index} answered ${paths.length} requests`);
  }
});

t.test('the access log of deploy/nginx.conf has paths only: no codes or states', async (t) => {
  const log = readFileSync(nginx.accessLog, 'utf8');
  t.match(log, /"GET \/callback\/kakao" 302 /);
  t.notMatch(log, /code=|state=|\?/);
});
