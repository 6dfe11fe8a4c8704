/**
 * `npm run bench:compare -- <row>[,<row>…]`: the same bridge rows against two builds or two
 * environments, interleaved A B B A … so that drift on a shared machine falls on both; prints
 * the medians and B ÷ A (raw, and per CPU-second of the server). Records what a change buys.
 *
 *   rows: bridge.discovery, bridge.jwks, bridge.authorize, bridge.callback, bridge.token,
 *         bridge.userinfo, bridge.userinfo-jwt, login.memory; cold.restart, cold.image, cold.fresh
 *         (one start a round, timed as the bench's cold section times it; starts vary by a third
 *         from one to the next here: a dozen rounds or more)
 *   BENCH_A=dir, BENCH_B=dir          builds to compare (default: dist for both)
 *   BENCH_ENV_A='K=V …', BENCH_ENV_B  extra environment for each side (e.g. LOG_LEVEL=warn)
 *   BENCH_ROUNDS=n                    rounds (default 3; each side runs once per round)
 *   BENCH_SECONDS=s                   seconds per run (default 3)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeKakao } from './lib/bridge.js';
import { Client } from './lib/http.js';
import { freePort, pinSelf } from './lib/procs.js';
import { bridgeLogins, bridgeRow, prepareColdStarts, timeColdStart, type ColdStartKind, type Context, type Settings } from './lib/sections.js';
import { median } from './lib/stats.js';
import { runScript } from './lib/script.js';

const repository = fileURLToPath(new URL('..', import.meta.url));
const rows = (process.argv[2] ?? 'bridge.token').split(',');
const rounds = Number(process.env.BENCH_ROUNDS ?? '3');
const seconds = Number(process.env.BENCH_SECONDS ?? '3');

function envOf(text: string | undefined): Record<string, string> {
  return Object.fromEntries((text ?? '').split(/\s+/).filter((pair) => pair.includes('=')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

const variants = [
  { name: 'A', dist: resolve(process.env.BENCH_A ?? join(repository, 'dist')), env: envOf(process.env.BENCH_ENV_A) },
  { name: 'B', dist: resolve(process.env.BENCH_B ?? join(repository, 'dist')), env: envOf(process.env.BENCH_ENV_B) },
];

const settings: Settings = {
  quick: false,
  runs: 1,
  seconds,
  warmupSeconds: 1,
  pacedWarmupSeconds: 10,
  connections: 16,
  loginConcurrency: 16,
  memoryLogins: 0,
  memoryConcurrency: 0,
  waitForTtl: false,
  coldStarts: 0,
  callbackCap: 4000,
  codeCap: 20_000,
};

const coldStartKinds: Record<string, ColdStartKind> = { 'cold.restart': 'keysExist', 'cold.image': 'imageFirstStart', 'cold.fresh': 'firstStart' };

interface Sample {
  rate: number;
  cpu: number;
  p99: number;
}

interface StartSample {
  ms: number;
  cpuMs: number;
}

async function main(): Promise<void> {
  pinSelf();
  const workDir = mkdtempSync(join(tmpdir(), 'kob-compare-'));
  const port = await freePort();
  const first = variants[0];
  if (first === undefined) throw new Error('no variants');
  const kakao = await startFakeKakao(first.dist, port);
  const client = new Client(16);
  const log = (message: string) => process.stderr.write(`compare: ${message}\n`);
  const samples = new Map<string, Sample[]>();
  const starts = new Map<string, StartSample[]>();
  const warmCaches = new Map<string, string>();
  try {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) {
        const context: Context = {
          settings,
          dist: variant.dist,
          workDir,
          bridge: { dist: variant.dist, port, kakaoUrl: kakao.url, dataDir: join(workDir, `data-${variant.name}`) },
          client,
          bridgeEnv: variant.env,
          log: () => undefined,
        };
        for (const id of rows) {
          const key = `${variant.name} ${id}`;
          const coldStartKind = coldStartKinds[id];
          if (coldStartKind !== undefined) {
            let warmCache = warmCaches.get(variant.name);
            if (warmCache === undefined) {
              warmCache = await prepareColdStarts(context);
              warmCaches.set(variant.name, warmCache);
            }
            const start = await timeColdStart(context, coldStartKind, warmCache);
            log(`round ${round + 1} ${variant.name} ${id}: ${start.ms.toFixed(0)} ms, ${start.cpuMs.toFixed(0)} ms of CPU`);
            starts.set(key, [...(starts.get(key) ?? []), start]);
            continue;
          }
          let sample: Sample;
          if (id === 'login.memory') {
            const result = await bridgeLogins(context, id, id, {});
            if (result.error !== undefined) throw new Error(`${variant.name} ${id}: ${result.error}`);
            sample = { rate: result.rate, cpu: result.cpu, p99: result.pacedP99 ?? result.p99 };
          } else {
            const result = await bridgeRow(context, id);
            if (result.error !== undefined) throw new Error(`${variant.name} ${id}: ${result.error}`);
            sample = { rate: result.rps, cpu: result.cpu, p99: result.p99 };
          }
          log(`round ${round + 1} ${variant.name} ${id}: ${sample.rate.toFixed(0)}/s at ${(sample.cpu * 100).toFixed(0)} % CPU (${(sample.rate / sample.cpu).toFixed(0)} per CPU-s), p99 ${sample.p99.toFixed(2)} ms`);
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
    }
    const lines = ['| row | A /s | A per CPU-s | B /s | B per CPU-s | B ÷ A | B ÷ A per CPU-s |', '|---|---:|---:|---:|---:|---:|---:|'];
    const startLines = ['| start | A ms | A CPU ms | B ms | B CPU ms | B ÷ A | B ÷ A CPU |', '|---|---:|---:|---:|---:|---:|---:|'];
    for (const id of rows) {
      if (coldStartKinds[id] !== undefined) {
        const [a, b] = variants.map((variant) => {
          const list = starts.get(`${variant.name} ${id}`) ?? [];
          return { ms: median(list.map((start) => start.ms)), cpuMs: median(list.map((start) => start.cpuMs)) };
        });
        if (a !== undefined && b !== undefined) {
          startLines.push(`| ${id} | ${a.ms.toFixed(0)} | ${a.cpuMs.toFixed(0)} | ${b.ms.toFixed(0)} | ${b.cpuMs.toFixed(0)} | ${(b.ms / a.ms).toFixed(2)}× | ${(b.cpuMs / a.cpuMs).toFixed(2)}× |`);
        }
        continue;
      }
      const figures = variants.map((variant) => {
        const list = samples.get(`${variant.name} ${id}`) ?? [];
        return { rate: median(list.map((sample) => sample.rate)), perCpu: median(list.map((sample) => sample.rate / Math.max(sample.cpu, 0.01))) };
      });
      const [a, b] = figures;
      if (a === undefined || b === undefined) continue;
      lines.push(`| ${id} | ${a.rate.toFixed(0)} | ${a.perCpu.toFixed(0)} | ${b.rate.toFixed(0)} | ${b.perCpu.toFixed(0)} | ${(b.rate / a.rate).toFixed(2)}× | ${(b.perCpu / a.perCpu).toFixed(2)}× |`);
    }
    const tables = [lines, startLines].filter((table) => table.length > 2).map((table) => table.join('\n'));
    process.stdout.write(`A: ${first.dist} ${JSON.stringify(first.env)}\nB: ${variants[1]?.dist ?? ''} ${JSON.stringify(variants[1]?.env ?? {})}\n${tables.join('\n\n')}\n`);
  } finally {
    await client.close();
    await kakao.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runScript('bench:compare', main);
