import t from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Results } from '../bench/lib/results.js';

const repository = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Every row the report must have; numbers only need to be positive (no timing thresholds). */
const endpointRows = [
  'ceiling.static',
  'ceiling.sign',
  'ceiling.verify',
  'anchor.discovery',
  'anchor.jwks',
  'anchor.token',
  'anchor.userinfo',
  'ceiling.static-paired',
  'ceiling.sign-paired',
  'ceiling.token-paired',
  'ceiling.token-checked',
  'ceiling.token-duties',
  'ceiling.verify-paired',
  'bridge.discovery',
  'bridge.jwks',
  'bridge.authorize',
  'bridge.callback',
  'bridge.token',
  'bridge.userinfo',
  'bridge.userinfo-jwt',
];
const loginRows = ['anchor.login', 'ceiling.login', 'ceiling.login-protocol', 'ceiling.login-duties', 'login.memory', 'ceiling.login-redis', 'ceiling.login-redis-duties', 'login.redis'];

function redisAvailable(): boolean {
  if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') return true;
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Builds the bridge and runs every section once at a tiny size: a minute or so on a busy machine.
t.setTimeout(300_000);

t.test('npm run bench runs every row once at tiny size (BENCH_QUICK=1)', async (t) => {
  const dir = t.testdir();
  const dist = join(dir, 'dist');
  // npm test does not build: measure the sources as they are now, built apart from dist/.
  execFileSync(process.execPath, [tsc, '-p', join(repository, 'tsconfig.build.json'), '--outDir', dist], { cwd: repository, stdio: 'pipe' });

  // Not tap's environment: no TypeScript loader and no coverage collection in the bench's processes.
  const child = spawn(process.execPath, ['--import', './bench/ts-resolve.ts', 'bench/run.ts'], {
    cwd: repository,
    env: { PATH: process.env.PATH ?? '', BENCH_QUICK: '1', BENCH_DIST: dist, BENCH_OUT: dir, ...(process.env.REDIS_URL === undefined ? {} : { REDIS_URL: process.env.REDIS_URL }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.teardown(() => child.kill('SIGKILL'));
  const [code] = (await once(child, 'exit')) as [number | null];
  t.equal(code, 0, stderr.slice(-2000));

  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as Results;
  const markdown = readFileSync(join(dir, 'BENCHMARKS.md'), 'utf8');
  t.match(stdout, '### Targets', 'prints the report');

  for (const id of endpointRows) {
    const row = results.rows.find((candidate) => candidate.id === id);
    t.ok(row, `has the ${id} row`);
    t.equal(row?.error, undefined, `${id} ran`);
    t.ok((row?.rps ?? 0) > 0 && (row?.p50 ?? 0) > 0 && (row?.p99 ?? 0) > 0, `${id} has req/s and latencies`);
    t.ok(markdown.includes(`| ${row?.label ?? id} |`), `${id} is in the table`);
  }
  for (const id of loginRows) {
    const row = results.logins.find((candidate) => candidate.id === id);
    t.ok(row, `has the ${id} row`);
    if (id.includes('redis') && !redisAvailable()) {
      t.match(row?.error, /^pending: /, 'the Redis row says why it is pending');
      continue;
    }
    t.equal(row?.error, undefined, `${id} ran`);
    t.ok((row?.rate ?? 0) > 0 && (row?.p99 ?? 0) > 0, `${id} has logins/s and latency`);
    t.equal(row?.note, undefined, `${id}: no login failed`);
    if (id !== 'anchor.login') t.ok((row?.pacedP99 ?? 0) > 0, `${id} has the latency at half load`);
  }
  t.ok((results.memory?.logins ?? 0) > 0, 'the memory section drove logins');
  t.ok((results.memory?.beforeMb ?? 0) > 0 && (results.memory?.afterMb ?? 0) > 0 && (results.memory?.afterTtlMb ?? 0) > 0, 'and read RSS three times');
  for (const [name, ceilingMemory] of [
    ['the login ceiling', results.memory?.ceiling],
    ['the login ceiling with its heap held small', results.memory?.leanCeiling],
    ['the bridge with its heap held small', results.memory?.lean],
  ] as const) {
    t.equal(ceilingMemory?.error, undefined, `${name} ran the same logins`);
    t.equal(ceilingMemory?.logins, results.memory?.logins, 'as many of them');
    t.ok((ceilingMemory?.beforeMb ?? 0) > 0 && (ceilingMemory?.peakMb ?? 0) > 0, 'with its RSS read');
  }
  t.match(
    results.targets.find((target) => target.name.startsWith('full login, memory store'))?.ceiling,
    /^the login ceiling: \d.*; with the checks: \d.*; with the protocol’s checks and the bridge’s duties: \d/,
    'the full login with the memory store: held against the ceiling that makes the same checks and does the same duties, in memory, the barer ones beside it',
  );
  t.match(
    results.targets.find((target) => target.name.startsWith('full login, Redis store'))?.ceiling,
    /^the login ceiling with Redis: \d.*; with the checks, the duties and Redis: \d/,
    'the full login with Redis: held against the ceiling that makes the same checks and does the same duties through Redis, the bare Redis one beside it',
  );
  // Each store's p99 at half load is held against the same ceilings as its throughput, each at half its own rate.
  const halfLoad = (names: string[]) => new RegExp(`^${names.map((name) => `${name}: [\\d.]+ ms at half its own rate \\([\\d,]+/s\\)`).join('; ')}`);
  for (const { store, ceilings, bound } of [
    { store: 'memory', ceilings: ['the login ceiling', 'with the checks', 'with the protocol’s checks and the bridge’s duties'], bound: 'ceiling.login-duties' },
    { store: 'Redis', ceilings: ['the login ceiling with Redis', 'with the checks, the duties and Redis'], bound: 'ceiling.login-redis-duties' },
  ]) {
    const p99 = results.targets.find((target) => target.name.startsWith(`bridge · full login, ${store} store: p99`));
    t.match(p99?.ceiling, halfLoad(ceilings), `${store} store: its p99 at half load held against ${ceilings.join(', ')}`);
    const boundP99 = results.logins.find((login) => login.id === bound)?.pacedP99 ?? 0;
    t.equal(p99?.beyondCeiling, boundP99 >= 20, `${store} store: beyond the ceiling exactly when ${bound} misses 20 ms itself`);
  }
  const rssTargets = results.targets.filter((target) => target.name.startsWith('RSS < 120 MB'));
  t.same(
    rssTargets.map((target) => [/default heap/.test(target.name), /heap held small \(`NODE_OPTIONS='--max-semi-space-size=1 --max-old-space-size=48'`\)/.test(target.name)]),
    [
      [true, false],
      [false, true],
    ],
    'the RSS target is judged with V8\'s default heap and with the heap held small, each against the ceiling with the same heap',
  );
  for (const target of rssTargets) {
    t.match(target.ceiling, /^the login ceiling, which keeps nothing, over the same logins with the same heap: \d+ MB$/, `${target.name}: what the ceiling itself reaches`);
    t.type(target.beyondCeiling, 'boolean', `${target.name}: whether the ceiling itself misses it`);
  }
  for (const name of ['/token ≥ 1.5×', 'full login, memory store', 'full login, Redis store', 'bridge · full login, memory store: p99', 'bridge · full login, Redis store: p99']) {
    const target = results.targets.find((candidate) => candidate.name.startsWith(name));
    t.match(target?.ceiling, /^the (token|login) ceiling.*\d/, `${name}: what the ceiling itself reaches`);
    if (name === '/token ≥ 1.5×') t.match(target?.ceiling, /with the checks: \d.*the bridge’s duties: \d/, '/token: the ceilings with the checks, and with the bridge’s duties too');
    t.type(target?.beyondCeiling, 'boolean', `${name}: whether the ceiling itself misses it`);
  }
  t.ok((results.coldStart?.keysExistMs ?? 0) > 0 && (results.coldStart?.imageFirstStartMs ?? 0) > 0 && (results.coldStart?.firstStartMs ?? 0) > 0, 'cold starts were timed');
  const jwksMs = results.coldStart?.jwksMs;
  t.ok(jwksMs !== undefined && jwksMs.firstStart > (results.coldStart?.firstStartMs ?? Infinity), 'and on to the first /jwks with a key, after the first discovery');
  t.ok(results.targets.length >= 13, 'every target is listed');
  t.ok(results.targets.every((target) => target.measured !== 'not measured' || (target.name.includes('Redis') && !redisAvailable())), 'every target has a figure');
});
