/**
 * `npm run bench:profile -- <flow> [seconds]`: runs the built bridge with the inspector on
 * loopback, prepares what the flow needs (codes, pending logins), then records a CPU profile of
 * the load alone and prints where the bridge's CPU time went (self time by module and by
 * function, with the usual callers). The .cpuprofile is kept for a flame graph (Chrome
 * DevTools, speedscope). `startup` profiles from process start (node --cpu-prof) instead.
 *
 *   flows: discovery, jwks, authorize, callback, token, userinfo, userinfo-jwt, login, startup;
 *          login-ceiling profiles the login ceiling (bench/servers/login-ceiling.ts) under the same
 *          logins, so that its per-login figures stand beside the bridge's; sign-ceiling and
 *          token-ceiling profile those routes of bench/servers/ceiling.ts, beside token and userinfo-jwt
 *   BENCH_DIST=dir      the built bridge (default dist/)
 *   BENCH_PROFILE_DIR   where the profile goes (default dist/bench/profiles)
 *   BENCH_ENV='A=1 B=2' extra environment for the bridge (e.g. REDIS_URL=redis://127.0.0.1:6379)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ceilingScript, codeShaped, finishCallback, fullLogin, loginCeilingScript, mintCodes, prepareCallbacks, redeem, startBridge, startFakeKakao, startLogin, authorizePath, tokenRequest, type StartedBridge } from './lib/bridge.js';
import { Client } from './lib/http.js';
import { loadOnce, type LoadRequest } from './lib/load.js';
import { closedLoop } from './lib/logins.js';
import { freePort, pinSelf, serverCore, spawnBenchServer, type Spawned } from './lib/procs.js';
import { runScript } from './lib/script.js';

const repository = fileURLToPath(new URL('..', import.meta.url));
const [flow = 'token', secondsArg = '5'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const dist = resolve(process.env.BENCH_DIST ?? join(repository, 'dist'));
const profileDir = resolve(process.env.BENCH_PROFILE_DIR ?? join(dist, 'bench', 'profiles'));
const extraEnv = Object.fromEntries((process.env.BENCH_ENV ?? '').split(/\s+/).filter((pair) => pair.includes('=')).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Which module a frame belongs to: a package, a file of the bridge, or Node's internals. */
function moduleOf(url: string): string {
  if (url === '') return '(native / V8)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch?.[1] !== undefined) return packageMatch[1];
  if (url.startsWith('node:')) return url.replace(/^node:internal\/([^/]+).*$/, 'node:$1');
  const distIndex = url.indexOf('/dist/');
  return distIndex >= 0 ? `bridge ${url.slice(distIndex + 6)}` : url;
}

/**
 * Where a frame of the bundled build came from, through the bundle's source map: a package, a file
 * of src/, or Node's internals. The bundle (dist/server.js) holds Fastify, pino and undici beside
 * the bridge's own code, so its module alone does not tell them apart.
 */
class Sources {
  private readonly maps = new Map<string, SourceMap | undefined>();

  of(url: string, line: number, column: number): string {
    if (!url.startsWith('file://') || !url.endsWith('.js')) return moduleOf(url);
    const map = this.mapOf(url);
    const source = map?.findEntry(line, column);
    if (source === undefined || !('originalSource' in source)) return moduleOf(url);
    const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source.originalSource);
    if (packageMatch?.[1] !== undefined) return packageMatch[1];
    const srcIndex = source.originalSource.lastIndexOf('/src/');
    return srcIndex >= 0 ? source.originalSource.slice(srcIndex + 1) : source.originalSource;
  }

  private mapOf(url: string): SourceMap | undefined {
    if (!this.maps.has(url)) {
      let map: SourceMap | undefined;
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
      } catch {
        // no map beside it: the module's name is all there is
      }
      this.maps.set(url, map);
    }
    return this.maps.get(url);
  }
}

function frameName(node: ProfileNode | undefined): string {
  if (node === undefined) return '(root)';
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${moduleOf(url)}:${lineNumber + 1}`;
}

/** `units`: the logins or requests the profile covers, for a µs-per-unit column. */
function summarise(file: string, units: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const total = (profile.endTime - profile.startTime) / 1000;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  /** The callers of each function, weighted by self time: where a hot function is called from. */
  const callers = new Map<string, Map<string, number>>();
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000));
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const bySource = new Map<string, number>();
  const sources = new Sources();
  let idle = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const key = `${functionName || '(anonymous)'} ${moduleOf(url)}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    const chain: string[] = [];
    for (let parent = parentOf.get(id); parent !== undefined && chain.length < 4; parent = parentOf.get(parent)) chain.push(frameName(byId.get(parent)));
    const paths = callers.get(key) ?? new Map<string, number>();
    paths.set(chain.join(' < '), (paths.get(chain.join(' < ')) ?? 0) + ms);
    callers.set(key, paths);
    byModule.set(moduleOf(url), (byModule.get(moduleOf(url)) ?? 0) + ms);
    const source = sources.of(url, lineNumber, node.callFrame.columnNumber);
    bySource.set(source, (bySource.get(source) ?? 0) + ms);
  }
  const busy = total - idle;
  const perUnit = (ms: number) => (units > 0 ? `${((ms * 1000) / units).toFixed(1).padStart(7)} µs each` : '');
  const top = (map: Map<string, number>, count: number) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, ms]) => `  ${((ms / busy) * 100).toFixed(1).padStart(5)} %  ${ms.toFixed(0).padStart(6)} ms ${perUnit(ms)}  ${name}`);
  return [
    `profile ${file}: ${total.toFixed(0)} ms, busy ${busy.toFixed(0)} ms (${((busy / total) * 100).toFixed(0)} %)${units > 0 ? `, ${units} done while profiled: ${perUnit(busy)} of main-thread time` : ''}`,
    'self time by module:',
    ...top(byModule, 25),
    'self time by source (packages and src/ files inside the bundle, through its source map):',
    ...top(bySource, 30),
    'self time by function:',
    ...top(byFunction, 40),
    'callers of the 12 hottest functions:',
    ...[...byFunction]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .flatMap(([name]) => [
        `  ${name}`,
        ...[...(callers.get(name) ?? new Map<string, number>())]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([chain, ms]) => `      ${ms.toFixed(0).padStart(5)} ms  < ${chain}`),
      ]),
  ].join('\n');
}

/** The Chrome DevTools protocol over the bridge's inspector: start and stop the sampling profiler around the load. */
class Inspector {
  private readonly socket: WebSocket;
  private nextId = 1;
  private readonly waiting = new Map<number, (result: unknown) => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result);
    });
  }

  static async connect(url: string): Promise<Inspector> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.addEventListener('open', resolve);
      socket.addEventListener('error', reject);
    });
    return new Inspector(socket);
  }

  send(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** The inspector's WebSocket URL, from the line node prints on stderr. */
async function inspectorUrl(stderr: () => string): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const match = /Debugger listening on (ws:\/\/\S+)/.exec(stderr());
    if (match?.[1] !== undefined) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the bridge printed no inspector URL');
}

async function main(): Promise<void> {
  pinSelf();
  mkdirSync(profileDir, { recursive: true });
  const workDir = mkdtempSync(join(tmpdir(), 'kob-profile-'));
  const port = await freePort();
  const kakao = await startFakeKakao(dist, port);
  const client = new Client(16);
  const setup = { dist, port, kakaoUrl: kakao.url, dataDir: join(workDir, 'data') };
  const before = new Set(readdirSync(profileDir));
  try {
    if (flow === 'startup') {
      // Keys first, so the profile is a restart's.
      await (await startBridge(setup, extraEnv)).stop();
    }
    const ceiling = { 'login-ceiling': loginCeilingScript, 'sign-ceiling': ceilingScript, 'token-ceiling': ceilingScript }[flow];
    let started: StartedBridge | undefined;
    // Named bridge below either way: a ceiling stands in its place on its port.
    const bridge: Spawned =
      ceiling === undefined
        ? (started = await startBridge(setup, extraEnv, flow === 'startup' ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : ['--inspect=127.0.0.1:0']))
        : await spawnBenchServer(ceiling, serverCore, { PORT: String(port), KAKAO_URL: kakao.url }, ['--inspect=127.0.0.1:0']);
    const origin = started?.origin ?? bridge.url;
    const inspector = flow === 'startup' ? undefined : await Inspector.connect(await inspectorUrl(() => bridge.stderr()));
    await inspector?.send('Profiler.enable');
    let summary = '';
    let units = 0;
    const profiled = async <T>(load: () => Promise<T>): Promise<T> => {
      await inspector?.send('Profiler.start');
      const result = await load();
      const stopped = (await inspector?.send('Profiler.stop')) as { profile: unknown } | undefined;
      if (stopped !== undefined) writeFileSync(join(profileDir, `${flow}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`), JSON.stringify(stopped.profile));
      return result;
    };
    const run = async (request: LoadRequest | (() => LoadRequest | undefined), expectStatus: number, amount?: number) => {
      const result = await profiled(() => loadOnce({ origin, request, expectStatus, serverPid: bridge.pid, connections: 16, seconds, ...(amount === undefined ? {} : { amount }) }));
      units = result.ok;
      return result;
    };
    const sequence = (requests: LoadRequest[]) => {
      let next = 0;
      return () => requests[next++];
    };
    const token = async () => {
      const { callbackUrl, jar } = await startLogin(client, origin);
      return redeem(client, origin, await finishCallback(client, callbackUrl, jar));
    };
    const describe = (result: { rps: number; p50: number; p99: number; cpu: number }) =>
      `${flow}: ${result.rps.toFixed(0)}/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, server CPU ${(result.cpu * 100).toFixed(0)} %, ${(result.rps / Math.max(result.cpu, 0.01)).toFixed(0)} per CPU-second`;
    switch (flow) {
      case 'startup':
        summary = `startup: ${(started?.startupMs ?? 0).toFixed(0)} ms to the first discovery 200`;
        break;
      case 'discovery':
        summary = describe(await run({ path: '/.well-known/openid-configuration' }, 200));
        break;
      case 'jwks':
        summary = describe(await run({ path: '/jwks' }, 200));
        break;
      case 'authorize':
        summary = describe(await run({ path: authorizePath() }, 302));
        break;
      case 'callback': {
        const { paths, cookie } = await prepareCallbacks(client, origin, 4000, 16);
        summary = describe(await run(sequence(paths.map((path) => ({ path, headers: cookie }))), 302, paths.length));
        break;
      }
      case 'token': {
        const codes = await mintCodes(client, origin, Math.round(seconds * 1500), 16);
        summary = describe(await run(sequence(codes.map(tokenRequest)), 200, codes.length));
        break;
      }
      case 'sign-ceiling':
        summary = describe(await run({ path: '/sign' }, 200));
        break;
      case 'token-ceiling':
        summary = describe(await run(tokenRequest(codeShaped()), 200));
        break;
      case 'userinfo':
        summary = describe(await run({ path: '/userinfo', headers: { authorization: `Bearer ${await token()}` } }, 200));
        break;
      case 'userinfo-jwt':
        summary = describe(await run({ path: '/userinfo', headers: { authorization: `Bearer ${await token()}`, accept: 'application/jwt' } }, 200));
        break;
      case 'login':
      case 'login-ceiling': {
        const result = await profiled(() => closedLoop(async () => (await fullLogin(client, origin)).bridgeMs, { concurrency: 16, seconds, serverPid: bridge.pid }));
        units = result.count;
        summary = `${flow}: ${result.rate.toFixed(0)} logins/s, added p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, server CPU ${(result.cpu * 100).toFixed(0)} %, ${(result.rate / Math.max(result.cpu, 0.01)).toFixed(0)} per CPU-second${result.failures > 0 ? `, ${result.failures} failed: ${result.firstError ?? ''}` : ''}`;
        break;
      }
      default:
        throw new Error(`unknown flow ${flow}`);
    }
    inspector?.close();
    await bridge.stop();
    const written = readdirSync(profileDir)
      .filter((name) => name.endsWith('.cpuprofile') && !before.has(name))
      .map((name) => join(profileDir, name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
    process.stdout.write(`${summary}\n`);
    const [newest] = written;
    if (newest !== undefined) process.stdout.write(`${summarise(newest, units)}\n`);
  } finally {
    await client.close();
    await kakao.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

runScript('bench:profile', main);
