import t from 'tap';
import { startBridge } from '../helpers/bridge.js';

const bridge = await startBridge(t);
const ping = bridge.store.ping.bind(bridge.store);
t.afterEach(() => {
  bridge.store.ping = ping;
});

t.test('stays alive and turns unready (503) when the store fails, and ready again when it answers', async (t) => {
  bridge.store.ping = () => Promise.reject(new Error('connection refused'));
  const health = await fetch(`${bridge.issuer}/healthz`);
  t.equal(health.status, 200, 'liveness does not depend on the store');
  t.equal(health.headers.get('cache-control'), 'no-store');
  const unready = await fetch(`${bridge.issuer}/readyz`);
  t.equal(unready.status, 503);
  t.equal(unready.headers.get('cache-control'), 'no-store');
  t.same(await unready.json(), { status: 'unavailable', reason: 'store' });
  t.ok(bridge.logs.some((line) => line.includes('not ready: the store does not answer')), 'logged');

  bridge.store.ping = ping;
  t.equal((await fetch(`${bridge.issuer}/readyz`)).status, 200);
});

t.test('answers 503 within seconds when the store hangs, rather than hanging the probe', async (t) => {
  bridge.store.ping = () => new Promise<void>(() => undefined);
  const started = performance.now();
  const response = await fetch(`${bridge.issuer}/readyz`);
  const ms = performance.now() - started;
  t.equal(response.status, 503);
  t.ok(ms < 3000, `answered in ${Math.round(ms)} ms`);
});
