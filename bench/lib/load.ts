/**
 * One row of load: autocannon against one server, repeated, with the median taken. Latencies
 * and statuses are recorded here from every response (autocannon's own histogram keeps whole
 * milliseconds); the server's CPU use over the run is read from /proc, so a row the load
 * generator could not saturate shows as such.
 */
import autocannon from 'autocannon';
import { coreBusy, coreTicks, cpuSeconds } from './procs.js';
import { median, percentile, sortNumbers } from './stats.js';

export interface LoadRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  origin: string;
  /** One fixed request, or a source of distinct requests (single-use codes); `amount` bounds it. */
  request: LoadRequest | (() => LoadRequest | undefined);
  expectStatus: number;
  /** The server under test: its CPU use is measured. */
  serverPid: number;
  connections: number;
  seconds: number;
  /** Stop after this many requests (distinct requests run out). */
  amount?: number;
}

export interface RunResult {
  rps: number;
  p50: number;
  p99: number;
  /** Busy fraction of one core for the server under test (1 = saturated). */
  cpu: number;
  ok: number;
  unexpected: number;
  /** e.g. "400×3" for responses with another status than expected. */
  unexpectedStatuses: string;
  errors: number;
  seconds: number;
  /** How busy each core was (whoever used it): core 0 well above `cpu` = another process took it. */
  cores: number[];
}

export interface RowResult {
  rps: number;
  p50: number;
  p99: number;
  cpu: number;
  cores: number[];
  runs: RunResult[];
}

export function loadOnce(spec: LoadSpec): Promise<RunResult> {
  const latencies: number[] = [];
  const unexpected = new Map<number, number>();
  let ok = 0;
  const source = typeof spec.request === 'function' ? spec.request : undefined;
  const fixed = typeof spec.request === 'function' ? undefined : spec.request;
  const cpuBefore = cpuSeconds(spec.serverPid);
  const ticksBefore = coreTicks();
  const started = performance.now();
  let lastResponse = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.origin,
        connections: spec.connections,
        pipelining: 1,
        timeout: 10,
        sampleInt: 100,
        ...(spec.amount === undefined ? { duration: spec.seconds } : { amount: spec.amount }),
        ...(fixed === undefined
          ? {
              requests: [
                {
                  setupRequest: (request) => {
                    const next = source?.();
                    return next === undefined ? request : { ...request, method: next.method ?? 'GET', path: next.path, headers: next.headers ?? {}, body: next.body };
                  },
                },
              ],
            }
          : { method: fixed.method ?? 'GET', headers: fixed.headers ?? {}, ...(fixed.body === undefined ? {} : { body: fixed.body }), url: spec.origin + fixed.path }),
      },
      (error, result) => {
        clearTimeout(hardStop);
        if (error !== null) {
          reject(error);
          return;
        }
        // autocannon reports only on its next sample tick: the run ends at its last response.
        const seconds = (lastResponse - started) / 1000;
        const cpu = (cpuSeconds(spec.serverPid) - cpuBefore) / ((performance.now() - started) / 1000);
        sortNumbers(latencies);
        resolve({
          rps: ok / seconds,
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
          cpu,
          ok,
          unexpected: [...unexpected.values()].reduce((sum, count) => sum + count, 0),
          unexpectedStatuses: [...unexpected].map(([status, count]) => `${status}×${count}`).join(' '),
          errors: result.errors,
          seconds,
          cores: coreBusy(ticksBefore, coreTicks()),
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      lastResponse = performance.now();
      if (statusCode === spec.expectStatus) {
        ok++;
        latencies.push(responseTime);
      } else {
        unexpected.set(statusCode, (unexpected.get(statusCode) ?? 0) + 1);
      }
    });
    // A run bounded by `amount` still stops in time if the server slows down.
    const hardStop = setTimeout(() => instance.stop(), (spec.seconds * 2 + 5) * 1000);
  });
}

export interface RowSpec extends Omit<LoadSpec, 'request' | 'amount'> {
  runs: number;
  warmupSeconds: number;
  /**
   * Called before each run (warm-up included) with the previous run, if any: the requests for
   * that run, and how many there are (single-use codes are sized from the last rate).
   */
  prepare?: (seconds: number, previous: RunResult | undefined) => Promise<{ request: LoadSpec['request']; amount?: number }>;
  request?: LoadRequest;
}

/** Warm-up, then `runs` measured runs; the medians of each figure. */
export async function loadRow(spec: RowSpec): Promise<RowResult> {
  const [result] = await loadRowsAlternating([spec]);
  if (result === undefined) throw new Error('no row measured');
  return result;
}

/**
 * Several rows in alternate runs (A B C A B C …), each warmed up first: a drift of a shared
 * machine over the minutes of a section falls on every row alike, so their ratios hold.
 */
export async function loadRowsAlternating(specs: RowSpec[]): Promise<RowResult[]> {
  const previous: (RunResult | undefined)[] = specs.map(() => undefined);
  const runOnce = async (index: number, seconds: number) => {
    const spec = specs[index];
    if (spec === undefined) throw new Error(`no row ${index}`);
    const prepared = spec.prepare === undefined ? { request: spec.request ?? { path: '/' } } : await spec.prepare(seconds, previous[index]);
    const result = await loadOnce({ ...spec, seconds, request: prepared.request, ...(prepared.amount === undefined ? {} : { amount: prepared.amount }) });
    previous[index] = result;
    return result;
  };
  for (const [index, spec] of specs.entries()) if (spec.warmupSeconds > 0) await runOnce(index, spec.warmupSeconds);
  const runs: RunResult[][] = specs.map(() => []);
  const rounds = Math.max(...specs.map((spec) => spec.runs));
  for (let round = 0; round < rounds; round++) {
    for (const [index, spec] of specs.entries()) if (round < spec.runs) runs[index]?.push(await runOnce(index, spec.seconds));
  }
  return runs.map((rowRuns) => ({
    rps: median(rowRuns.map((run) => run.rps)),
    p50: median(rowRuns.map((run) => run.p50)),
    p99: median(rowRuns.map((run) => run.p99)),
    cpu: median(rowRuns.map((run) => run.cpu)),
    cores: [0, 1].map((core) => median(rowRuns.map((run) => run.cores[core] ?? 0))),
    runs: rowRuns,
  }));
}
