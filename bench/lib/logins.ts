/** Drivers for multi-request flows (logins): closed loop for throughput, paced for latency under a given load. */
import { coreBusy, coreTicks, cpuSeconds } from './procs.js';
import { median, percentile, sortNumbers } from './stats.js';

export interface FlowRun {
  /** Completed flows per second. */
  rate: number;
  p50: number;
  p99: number;
  cpu: number;
  count: number;
  failures: number;
  firstError: string | undefined;
  seconds: number;
  cores: number[];
}

export interface FlowRow extends FlowRun {
  runs: FlowRun[];
}

/** One flow; resolves to the latency to record (ms). */
export type Flow = (worker: number) => Promise<number>;

function summarise(latencies: number[], failures: number, firstError: string | undefined, seconds: number, cpu: number, cores: number[]): FlowRun {
  sortNumbers(latencies);
  return {
    rate: latencies.length / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    cpu,
    count: latencies.length,
    failures,
    firstError,
    seconds,
    cores,
  };
}

/** `concurrency` workers run flows back to back for `seconds` (or `maxCount` flows). */
export async function closedLoop(flow: Flow, options: { concurrency: number; seconds: number; maxCount?: number; serverPid: number }): Promise<FlowRun> {
  const latencies: number[] = [];
  let failures = 0;
  let firstError: string | undefined;
  let started = 0;
  const maxCount = options.maxCount ?? Infinity;
  const cpuBefore = cpuSeconds(options.serverPid);
  const ticksBefore = coreTicks();
  const begin = performance.now();
  const deadline = begin + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      while (performance.now() < deadline && started < maxCount) {
        started++;
        try {
          latencies.push(await flow(worker));
        } catch (error) {
          failures++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  const seconds = (performance.now() - begin) / 1000;
  return summarise(latencies, failures, firstError, seconds, (cpuSeconds(options.serverPid) - cpuBefore) / seconds, coreBusy(ticksBefore, coreTicks()));
}

/**
 * Starts flows at a fixed rate for `seconds` (open loop: a slow flow does not delay the next),
 * never more than `maxInFlight` at once.
 */
export async function paced(flow: Flow, options: { rate: number; seconds: number; maxInFlight: number; serverPid: number }): Promise<FlowRun> {
  const latencies: number[] = [];
  let failures = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const interval = 1000 / options.rate;
  const cpuBefore = cpuSeconds(options.serverPid);
  const ticksBefore = coreTicks();
  const begin = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < total; index++) {
    const due = begin + index * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= options.maxInFlight) {
      failures++;
      firstError ??= `more than ${options.maxInFlight} flows in flight: the rate is above capacity`;
      continue;
    }
    inFlight++;
    pending.push(
      flow(index).then(
        (ms) => {
          latencies.push(ms);
        },
        (error: unknown) => {
          failures++;
          firstError ??= (error as Error).message;
        },
      ).finally(() => {
        inFlight--;
      }),
    );
  }
  await Promise.all(pending);
  const seconds = (performance.now() - begin) / 1000;
  return summarise(latencies, failures, firstError, seconds, (cpuSeconds(options.serverPid) - cpuBefore) / seconds, coreBusy(ticksBefore, coreTicks()));
}

/** Medians of each figure over the runs. */
export function medianRow(runs: FlowRun[]): FlowRow {
  const pick = (figure: (run: FlowRun) => number) => median(runs.map(figure));
  return {
    rate: pick((run) => run.rate),
    p50: pick((run) => run.p50),
    p99: pick((run) => run.p99),
    cpu: pick((run) => run.cpu),
    count: runs.reduce((sum, run) => sum + run.count, 0),
    failures: runs.reduce((sum, run) => sum + run.failures, 0),
    firstError: runs.find((run) => run.firstError !== undefined)?.firstError,
    seconds: runs.reduce((sum, run) => sum + run.seconds, 0),
    cores: [0, 1].map((core) => median(runs.map((run) => run.cores[core] ?? 0))),
    runs,
  };
}

/** The bench settings a measured flow reads (bench/lib/sections.ts Settings has them all). */
export interface FlowSettings {
  runs: number;
  /** Seconds per measured run. */
  seconds: number;
  warmupSeconds: number;
  /**
   * Paced logins at half load, unmeasured, before the measured ones: right after the saturated runs
   * the p99 of the first ~10 s is 2–4× the steady state's, for the bare login ceiling as for the bridge.
   */
  pacedWarmupSeconds: number;
  /** Browsers logging in at once in the full-login rows. */
  loginConcurrency: number;
}

export interface MeasuredFlow {
  saturated: FlowRow;
  paced: FlowRow | undefined;
}

/** Saturated runs (closed loop), then paced runs at half their rate after an unmeasured paced warm-up. */
export async function measureFlow(settings: FlowSettings, flow: Flow, serverPid: number, withPaced: boolean): Promise<MeasuredFlow> {
  const options = { concurrency: settings.loginConcurrency, serverPid };
  if (settings.warmupSeconds > 0) await closedLoop(flow, { ...options, seconds: settings.warmupSeconds });
  const runs = [];
  for (let run = 0; run < settings.runs; run++) runs.push(await closedLoop(flow, { ...options, seconds: settings.seconds }));
  const saturated = medianRow(runs);
  if (!withPaced || saturated.rate === 0) return { saturated, paced: undefined };
  // As many paced runs as throughput runs, and their median: one pause of the machine (or of the
  // load generator) in one run does not make the row's p99.
  const half = { rate: saturated.rate / 2, maxInFlight: settings.loginConcurrency * 8, serverPid };
  if (settings.pacedWarmupSeconds > 0) await paced(flow, { ...half, seconds: settings.pacedWarmupSeconds });
  const halves = [];
  for (let run = 0; run < settings.runs; run++) halves.push(await paced(flow, { ...half, seconds: settings.seconds }));
  return { saturated, paced: medianRow(halves) };
}
