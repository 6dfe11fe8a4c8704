/**
 * `npm run bench`: every endpoint of the bridge against its ceiling and against oidc-provider,
 * full logins, memory and cold start, in one run on one machine; prints a markdown report and
 * writes it into BENCHMARKS.md. Loopback only; every load is bounded in time and count.
 *
 *   BENCH_QUICK=1    tiny sizes (a few hundred ms per row): proves the harness works, nothing more
 *   BENCH_DIST=dir   the built bridge to measure (default dist/, as `npm run build` leaves it)
 *   BENCH_OUT=dir    write BENCHMARKS.md and results.json there (default: the repository, for a
 *                    complete run of dist/ only; quick, partial and experimental runs write
 *                    nothing unless BENCH_OUT is set)
 *   BENCH_ONLY=a,b   only these sections: memory, ceilings, anchor, bridge, logins, cold
 *   REDIS_URL=url    use this Redis for the Redis-store row instead of starting redis-server
 *   BENCH_BRIDGE_ENV='K=V …'  extra environment for every bridge (experiments, e.g. NODE_COMPILE_CACHE=dir)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeKakao } from './lib/bridge.js';
import { Client } from './lib/http.js';
import { markdown, spliceInto, targets } from './lib/report.js';
import type { Machine, Results } from './lib/results.js';
import { anchor, bridgeEndpoints, ceilings, coldStart, logins, memoryStart, type Context, type Settings } from './lib/sections.js';
import { canPin, freePort, pinSelf } from './lib/procs.js';
import { runScript } from './lib/script.js';

const repository = fileURLToPath(new URL('..', import.meta.url));
const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const sections = new Set((process.env.BENCH_ONLY ?? 'memory,ceilings,anchor,bridge,logins,cold').split(',').map((name) => name.trim()));
const skip = <T>(name: string, fallback: T, run: () => Promise<T>): Promise<T> => (sections.has(name) ? run() : Promise.resolve(fallback));

const settings: Settings = quick
  ? { quick, runs: 1, seconds: 0.3, warmupSeconds: 0.1, pacedWarmupSeconds: 0.2, connections: 8, loginConcurrency: 4, memoryLogins: 200, memoryConcurrency: 8, waitForTtl: false, coldStarts: 1, callbackCap: 400, codeCap: 400 }
  : { quick, runs: 3, seconds: 3, warmupSeconds: 1, pacedWarmupSeconds: 10, connections: 16, loginConcurrency: 16, memoryLogins: 100_000, memoryConcurrency: 32, waitForTtl: true, coldStarts: 3, callbackCap: 4000, codeCap: 20_000 };

/**
 * The whole run stops itself past this, whatever happens. The memory section drives a fixed count
 * of logins: ~6 min of a 14-min run on one 2-core machine, ~16 min on a host three times slower.
 */
const deadlineMs = (quick ? 3 : 45) * 60_000;

function machine(loadBefore: string): Machine {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /^Model name:\s+(.+)$/m.exec(execFileSync('lscpu', { encoding: 'utf8' }))?.[1]?.trim() ?? model;
  } catch {
    // lscpu missing: keep Node's name
  }
  return {
    cpus: cpus().length,
    model,
    memoryGb: totalmem() / 1024 ** 3,
    kernel: release(),
    node: process.version,
    pinned: canPin(),
    loadBefore,
    loadAfter: '',
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

const loadAverage = () => loadavg().map((value) => value.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const began = performance.now();
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${deadlineMs / 60_000} min, giving up\n`);
    process.exit(1);
  }, deadlineMs);
  watchdog.unref();

  const dist = resolve(process.env.BENCH_DIST ?? join(repository, 'dist'));
  if (!existsSync(join(dist, 'main.js'))) throw new Error(`${dist}/main.js not found: run npm run build first (npm run bench does)`);
  pinSelf();
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  const info = machine(loadAverage());
  log(`${info.cpus} vCPU ${info.model}, node ${info.node}, ${quick ? 'quick' : 'full'} run, load average ${info.loadBefore}`);

  const workDir = mkdtempSync(join(tmpdir(), 'kob-bench-'));
  const bridgePort = await freePort();
  const kakao = await startFakeKakao(dist, bridgePort);
  const client = new Client(Math.max(settings.loginConcurrency, 16));
  const context: Context = {
    settings,
    dist,
    workDir,
    bridge: { dist, port: bridgePort, kakaoUrl: kakao.url, dataDir: join(workDir, 'data') },
    client,
    bridgeEnv: Object.fromEntries(
      (process.env.BENCH_BRIDGE_ENV ?? '')
        .split(/\s+/)
        .filter((pair) => pair.includes('='))
        .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
    ),
    log,
  };
  try {
    // The memory drive comes first; its TTLs run out while the ceilings and the anchor are measured
    // (its idle bridge shares core 0 with them, which costs them next to nothing).
    const memoryRun = await skip('memory', undefined, () => memoryStart(context));
    const ceilingRows = await skip('ceilings', [], () => ceilings(context));
    const anchorResults = await skip('anchor', { rows: [], login: undefined }, () => anchor(context));
    const memory = await memoryRun?.finish();
    const bridgeRows = await skip('bridge', [], () => bridgeEndpoints(context));
    const loginRows = await skip('logins', [], () => logins(context));
    const cold = await skip('cold', undefined, () => coldStart(context));

    const results: Results = {
      quick,
      command: `${quick ? 'BENCH_QUICK=1 ' : ''}${sections.size < 6 ? `BENCH_ONLY=${[...sections].join(',')} ` : ''}npm run bench`,
      machine: { ...info, loadAfter: loadAverage() },
      settings: { runs: settings.runs, seconds: settings.seconds, warmupSeconds: settings.warmupSeconds, pacedWarmupSeconds: settings.pacedWarmupSeconds, connections: settings.connections, loginConcurrency: settings.loginConcurrency },
      rows: [...ceilingRows, ...anchorResults.rows, ...bridgeRows],
      logins: [...(anchorResults.login === undefined ? [] : [anchorResults.login]), ...loginRows],
      memory,
      coldStart: cold,
      targets: [],
      durationSeconds: (performance.now() - began) / 1000,
    };
    results.targets = targets(results);
    const report = markdown(results);
    process.stdout.write(`${report}\n`);

    // Only a complete run of the repository's build rewrites BENCHMARKS.md; partial or experimental runs need BENCH_OUT.
    const complete = !quick && sections.size === 6 && process.env.BENCH_DIST === undefined && process.env.BENCH_BRIDGE_ENV === undefined;
    const outDir = process.env.BENCH_OUT ?? (complete ? repository : undefined);
    if (outDir !== undefined) {
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, 'BENCHMARKS.md');
      writeFileSync(file, spliceInto(existsSync(file) ? readFileSync(file, 'utf8') : undefined, report));
      const jsonDir = process.env.BENCH_OUT ?? join(dist, 'bench');
      mkdirSync(jsonDir, { recursive: true });
      writeFileSync(join(jsonDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
      log(`wrote ${file} and ${join(jsonDir, 'results.json')}`);
    }
  } finally {
    await client.close();
    await kakao.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runScript('bench', main);
