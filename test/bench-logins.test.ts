import t from 'tap';
import { measureFlow, type FlowSettings } from '../bench/lib/logins.js';

const settings: FlowSettings = {
  runs: 1,
  seconds: 0.2,
  warmupSeconds: 0,
  pacedWarmupSeconds: 0.3,
  loginConcurrency: 8,
};

/** A 5 ms login that counts how often it ran. */
function countedFlow(): { flow: () => Promise<number>; calls: () => number } {
  let count = 0;
  return {
    flow: async () => {
      count++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 5;
    },
    calls: () => count,
  };
}

t.test('measureFlow paces at half the saturated rate after an unmeasured paced warm-up', async (t) => {
  const { flow, calls } = countedFlow();

  const { saturated, paced } = await measureFlow(settings, flow, process.pid, true);

  t.ok(saturated.rate > 0 && paced !== undefined, 'saturated and paced figures');
  t.ok(paced !== undefined && Math.abs(paced.rate - saturated.rate / 2) < saturated.rate * 0.2, 'paced at half the saturated rate');
  // Neither the saturated nor the measured paced runs count the warm-up's logins.
  const warmUp = calls() - saturated.count - (paced?.count ?? 0);
  const expected = (saturated.rate / 2) * settings.pacedWarmupSeconds;
  t.ok(warmUp >= expected * 0.5, `the paced warm-up ran ${String(warmUp)} logins (expected ~${expected.toFixed(0)})`);
});

t.test('measureFlow without the paced rows runs only the saturated ones', async (t) => {
  const { flow, calls } = countedFlow();

  const { saturated, paced } = await measureFlow(settings, flow, process.pid, false);

  t.equal(paced, undefined);
  t.ok(calls() - saturated.count <= settings.loginConcurrency, 'no paced logins, warm-up included');
});
