/**
 * `npm run bench:compare -- <row>[,<row>…]`: the same bridge rows against two builds or two
 * environments, interleaved A B B A … so that drift on a shared machine falls on both; prints
 * the medians and B ÷ A (raw, and per CPU-second of the server). Records what a change buys.
 *
 *   rows: bridge.discovery, bridge.jwks, bridge.authorize, bridge.callback, bridge.token,
 *         bridge.userinfo, bridge.userinfo-jwt, login.memory
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
import { bridgeLogins, bridgeRow, type Context, type Settings } from './lib/sections.js';
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

interface Sample {
  rate: number;
  cpu: number;
  p99: number;
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
          const key = `${variant.name} ${id}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
    }
    const lines = ['| row | A /s | A per CPU-s | B /s | B per CPU-s | B ÷ A | B ÷ A per CPU-s |', '|---|---:|---:|---:|---:|---:|---:|'];
    for (const id of rows) {
      const figures = variants.map((variant) => {
        const list = samples.get(`${variant.name} ${id}`) ?? [];
        return { rate: median(list.map((sample) => sample.rate)), perCpu: median(list.map((sample) => sample.rate / Math.max(sample.cpu, 0.01))) };
      });
      const [a, b] = figures;
      if (a === undefined || b === undefined) continue;
      lines.push(`| ${id} | ${a.rate.toFixed(0)} | ${a.perCpu.toFixed(0)} | ${b.rate.toFixed(0)} | ${b.perCpu.toFixed(0)} | ${(b.rate / a.rate).toFixed(2)}× | ${(b.perCpu / a.perCpu).toFixed(2)}× |`);
    }
    process.stdout.write(`A: ${first.dist} ${JSON.stringify(first.env)}\nB: ${variants[1]?.dist ?? ''} ${JSON.stringify(variants[1]?.env ?? {})}\n${lines.join('\n')}\n`);
  } finally {
    await client.close();
    await kakao.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runScript('bench:compare', main);
