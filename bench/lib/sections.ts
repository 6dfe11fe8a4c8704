/** The sections of a bench run: ceilings, the oidc-provider anchor, the bridge's endpoints, full logins, memory, cold start. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { build } from 'esbuild';
import { join } from 'node:path';
import { anchorLogin, anchorRedeem, anchorSession, createAnchorCodes, startAnchor } from './anchor.js';
import {
  authorizePath,
  finishCallback,
  fullLogin,
  ceilingScript,
  loginCeilingScript,
  mintCodes,
  prepareCallbacks,
  redeem,
  startBridge,
  startFakeKakao,
  startLogin,
  codeShaped,
  tokenRequest,
  type BridgeSetup,
  type StartedBridge,
} from './bridge.js';
import { Client, type CookieJar } from './http.js';
import { loadRow, loadRowsAlternating, type LoadRequest, type LoadSpec, type RowResult, type RowSpec, type RunResult } from './load.js';
import { measureFlow, type Flow, type FlowSettings, type MeasuredFlow } from './logins.js';
import { freePort, leanHeapNodeArgs, loadCore, rssMb, serverCore, sleep, spawnBenchServer, spawnPinned, type Spawned } from './procs.js';
import type { ColdStartResult, EndpointRow, LoginRow, MemoryDrive, MemoryResult } from './results.js';
import { median } from './stats.js';

export interface Settings extends FlowSettings {
  quick: boolean;
  /** autocannon connections for every endpoint row. */
  connections: number;
  memoryLogins: number;
  memoryConcurrency: number;
  /** Wait for the access tokens to expire before the last memory reading. */
  waitForTtl: boolean;
  coldStarts: number;
  /** The fake Kakao remembers 4096 codes: a /callback run uses at most this many. */
  callbackCap: number;
  codeCap: number;
}

export interface Context {
  settings: Settings;
  dist: string;
  workDir: string;
  bridge: BridgeSetup;
  client: Client;
  /** Extra environment for every bridge (experiments: LOG_LEVEL=warn, …). */
  bridgeEnv: Record<string, string>;
  /** Quick runs measure every endpoint row on this one bridge. */
  shared?: StartedBridge;
  log(message: string): void;
}

function endpointRow(id: string, label: string, result: RowResult, expected: string): EndpointRow {
  const bad = result.runs.filter((run) => run.unexpected > 0 || run.errors > 0);
  const note = bad.length === 0 ? undefined : `unexpected responses: ${bad.map((run) => `${run.unexpectedStatuses} errors×${run.errors}`).join('; ')} (expected ${expected})`;
  return { id, label, rps: result.rps, p50: result.p50, p99: result.p99, cpu: result.cpu, cores: result.cores, ...(note === undefined ? {} : { note }) };
}

function failedRow(id: string, label: string, error: unknown): EndpointRow {
  return { id, label, rps: 0, p50: 0, p99: 0, cpu: 0, cores: [], error: (error as Error).message.slice(0, 300) };
}

/** Enough single-use requests for a run at the last measured rate, plus a margin. */
function sized(previous: RunResult | undefined, seconds: number, guess: number, cap: number): number {
  return Math.min(cap, Math.max(50, Math.ceil((previous?.rps ?? guess) * seconds * 1.3)));
}

function sequence(requests: LoadRequest[]): () => LoadRequest | undefined {
  let next = 0;
  return () => requests[next++];
}

type RowRequests = { request?: LoadRequest; prepare?: (seconds: number, previous: RunResult | undefined) => Promise<{ request: LoadSpec['request']; amount?: number }> };

function rowSpec(context: Context, expected: number, server: Spawned, origin: string, requests: RowRequests): RowSpec {
  const { settings } = context;
  return {
    origin,
    expectStatus: expected,
    serverPid: server.pid,
    connections: settings.connections,
    seconds: settings.seconds,
    runs: settings.runs,
    warmupSeconds: settings.warmupSeconds,
    ...requests,
  };
}

async function row(context: Context, id: string, label: string, expected: number, server: Spawned, origin: string, requests: RowRequests): Promise<EndpointRow> {
  context.log(`  ${label}`);
  try {
    return endpointRow(id, label, await loadRow(rowSpec(context, expected, server, origin, requests)), String(expected));
  } catch (error) {
    return failedRow(id, label, error);
  }
}

/** The request each ceiling route of bench/servers/ceiling.ts is measured with, given the server's URL. */
type CeilingRequest = (url: string, client: Client) => Promise<LoadRequest>;

const ceilingRequests: Record<'static' | 'sign' | 'token' | 'verify', CeilingRequest> = {
  static: () => Promise.resolve({ path: '/static' }),
  sign: () => Promise.resolve({ path: '/sign' }),
  // The bridge's form, code and secret included: the ceiling parses it and checks nothing.
  token: () => Promise.resolve(tokenRequest(codeShaped())),
  verify: async (url, client) => {
    const sample = JSON.parse((await client.send(`${url}/sample`)).body) as { jwt: string };
    return { path: '/verify', headers: { authorization: `Bearer ${sample.jwt}` } };
  },
};

export async function ceilings(context: Context): Promise<EndpointRow[]> {
  context.log('ceilings (bare Fastify 5)');
  const server = await spawnBenchServer(ceilingScript, serverCore, { PORT: String(await freePort()) });
  const measure = async (id: string, label: string, request: CeilingRequest) =>
    row(context, id, label, 200, server, server.url, { request: await request(server.url, context.client) });
  try {
    return [
      await measure('ceiling.static', 'ceiling · static JSON', ceilingRequests.static),
      await measure('ceiling.sign', 'ceiling · sign an id_token (RS256 2048)', ceilingRequests.sign),
      await measure('ceiling.verify', 'ceiling · verify a JWT bearer (RS256 2048)', ceilingRequests.verify),
    ];
  } finally {
    await server.stop();
  }
}

export interface AnchorResults {
  rows: EndpointRow[];
  login: LoginRow | undefined;
}

export async function anchor(context: Context): Promise<AnchorResults> {
  context.log('oidc-provider 9 (anchor)');
  const { client, settings } = context;
  const server = await startAnchor(await freePort());
  const origin = server.url;
  try {
    const rows = [
      await row(context, 'anchor.discovery', 'oidc-provider · discovery', 200, server, origin, { request: { path: '/.well-known/openid-configuration' } }),
      await row(context, 'anchor.jwks', 'oidc-provider · JWKS', 200, server, origin, { request: { path: '/jwks' } }),
      await row(context, 'anchor.token', 'oidc-provider · /token (pre-created codes)', 200, server, origin, {
        prepare: async (seconds, previous) => {
          const codes = await createAnchorCodes(client, origin, sized(previous, seconds, settings.quick ? 100 : 1000, settings.codeCap));
          return { request: sequence(codes.map(tokenRequest)), amount: codes.length };
        },
      }),
    ];
    const [code = ''] = await createAnchorCodes(client, origin, 1);
    const accessToken = await anchorRedeem(client, origin, code);
    rows.push(await row(context, 'anchor.userinfo', 'oidc-provider · /me', 200, server, origin, { request: { path: '/me', headers: { authorization: `Bearer ${accessToken}` } } }));

    context.log('  oidc-provider · authorize → code → token');
    let login: LoginRow;
    try {
      const jars: CookieJar[] = [];
      for (let worker = 0; worker < settings.loginConcurrency; worker++) jars.push(await anchorSession(client, origin));
      const flow: Flow = (worker) => anchorLogin(client, origin, jars[worker] ?? jars[0]!);
      const result = await measureFlow(context.settings, flow, server.pid, false);
      login = loginRow('anchor.login', 'oidc-provider · authorize → code → token (session exists)', result);
    } catch (error) {
      login = unmeasuredLogins('anchor.login', 'oidc-provider · authorize → code → token', (error as Error).message);
    }
    return { rows, login };
  } finally {
    await server.stop();
  }
}

/** A fresh bridge for `use` (a quick run shares one, `context.shared`, to stay quick). */
async function withBridge<T>(context: Context, env: Record<string, string>, use: (bridge: StartedBridge) => Promise<T>): Promise<T> {
  if (context.shared !== undefined && Object.keys(env).length === 0) return use(context.shared);
  const bridge = await startBridge(context.bridge, { ...context.bridgeEnv, ...env });
  try {
    return await use(bridge);
  } finally {
    await bridge.stop();
  }
}

/** One access token from a real login. */
async function accessToken(context: Context, origin: string): Promise<string> {
  const { callbackUrl, jar } = await startLogin(context.client, origin);
  return redeem(context.client, origin, await finishCallback(context.client, callbackUrl, jar));
}

type BridgeRowMeasure = (context: Context, bridge: StartedBridge) => Promise<EndpointRow>;
type BridgeRowRequests = (context: Context, bridge: StartedBridge) => Promise<RowRequests>;

/** The bridge's endpoint rows, by id: each measures one endpoint of a running bridge. */
export const bridgeRows: Record<string, { label: string; expected: number; requests: BridgeRowRequests; measure: BridgeRowMeasure }> = {};

function defineRow(id: string, label: string, expected: number, requests: BridgeRowRequests): void {
  bridgeRows[id] = { label, expected, requests, measure: async (context, bridge) => row(context, id, label, expected, bridge, bridge.origin, await requests(context, bridge)) };
}

const codeGuess = (settings: Settings) => (settings.quick ? 100 : 800);

defineRow('bridge.discovery', 'bridge · discovery', 200, () => Promise.resolve({ request: { path: '/.well-known/openid-configuration' } }));
defineRow('bridge.jwks', 'bridge · JWKS', 200, () => Promise.resolve({ request: { path: '/jwks' } }));
defineRow('bridge.authorize', 'bridge · /authorize (to the 302)', 302, () => Promise.resolve({ request: { path: authorizePath() } }));
defineRow('bridge.callback', 'bridge · /callback (2 calls to the fake Kakao)', 302, ({ client, settings }, bridge) =>
  Promise.resolve({
    prepare: async (seconds: number, previous: RunResult | undefined) => {
      const { paths, cookie } = await prepareCallbacks(client, bridge.origin, sized(previous, seconds, codeGuess(settings), settings.callbackCap), settings.loginConcurrency);
      return { request: sequence(paths.map((path) => ({ path, headers: cookie }))), amount: paths.length };
    },
  }),
);
/** Token requests for codes minted before each run by real logins at `origin` (the bridge, or a login ceiling). */
function mintedTokenRequests({ client, settings }: Context, origin: string): RowRequests {
  return {
    prepare: async (seconds: number, previous: RunResult | undefined) => {
      const codes = await mintCodes(client, origin, sized(previous, seconds, codeGuess(settings), settings.codeCap), settings.loginConcurrency);
      return { request: sequence(codes.map(tokenRequest)), amount: codes.length };
    },
  };
}

defineRow('bridge.token', 'bridge · /token (codes from real logins)', 200, (context, bridge) => Promise.resolve(mintedTokenRequests(context, bridge.origin)));
defineRow('bridge.userinfo', 'bridge · /userinfo JSON', 200, async (context, bridge) => ({
  request: { path: '/userinfo', headers: { authorization: `Bearer ${await accessToken(context, bridge.origin)}` } },
}));
defineRow('bridge.userinfo-jwt', 'bridge · /userinfo JWT (RS256)', 200, async (context, bridge) => ({
  request: { path: '/userinfo', headers: { authorization: `Bearer ${await accessToken(context, bridge.origin)}`, accept: 'application/jwt' } },
}));

/** One bridge row on a bridge of its own (or the quick run's shared one). */
export async function bridgeRow(context: Context, id: string): Promise<EndpointRow> {
  const definition = bridgeRows[id];
  if (definition === undefined) throw new Error(`no bridge row ${id}`);
  try {
    return await withBridge(context, {}, (bridge) => definition.measure(context, bridge));
  } catch (error) {
    return failedRow(id, definition.label, error);
  }
}

/** The login ceilings (bench/servers/login-ceiling.ts) the full logins, and their p99 at half load, are held against. */
const loginCeilings = {
  bare: { id: 'ceiling.login', label: 'ceiling · login: 4 responses, 2 Kakao calls, 1 RS256 signature, nothing else', env: {} },
  protocol: {
    id: 'ceiling.login-protocol',
    label:
      'ceiling · login with the protocol’s checks: the same, and what the specifications require of any login, in memory (browser-bound one-time state, one-time code, client authentication, redirect_uri and nonce, access tokens kept for /userinfo)',
    env: { PROTOCOL_CHECKS: '1' },
  },
  duties: {
    id: 'ceiling.login-duties',
    label:
      'ceiling · login with the checks and the bridge’s duties: the same, and rate limits, an access-log line per response, a request-duration histogram, security headers, access tokens sealed instead of kept',
    env: { PROTOCOL_CHECKS: '1', BRIDGE_DUTIES: '1' },
  },
  // REDIS_URL, the one Redis of the run, is added where the row is measured.
  redis: { id: 'ceiling.login-redis', label: 'ceiling · login with Redis: the same, and the 6 Redis round trips a login through a shared store cannot skip', env: {} },
  redisDuties: {
    id: 'ceiling.login-redis-duties',
    label:
      'ceiling · login with the checks, the bridge’s duties and Redis: the one with the duties, its pending logins, codes and revoked codes in Redis (5 round trips: no access token is kept, but /userinfo looks its code up among the revoked)',
    env: { PROTOCOL_CHECKS: '1', BRIDGE_DUTIES: '1' },
  },
} as const;

/** Ceilings measured again, in alternate runs with the bridge rows judged against them. */
interface PairedCeilings {
  ceilings: { id: string; label: string; request: CeilingRequest }[];
  /** /token of the login ceiling (bench/servers/login-ceiling.ts) in these modes, fed codes by real logins through a fake Kakao of its own. */
  tokenCeilings?: { id: string; label: string; env: Record<string, string> }[];
  /** The bridge rows whose targets are ratios to these ceilings. */
  rows: string[];
}

const pairedCeilings: PairedCeilings[] = [
  {
    ceilings: [{ id: 'ceiling.static-paired', label: 'ceiling · static JSON, in alternate runs with discovery and JWKS', request: ceilingRequests.static }],
    rows: ['bridge.discovery', 'bridge.jwks'],
  },
  {
    ceilings: [
      { id: 'ceiling.sign-paired', label: 'ceiling · sign (RS256 2048), in alternate runs with /token and /userinfo JWT', request: ceilingRequests.sign },
      {
        id: 'ceiling.token-paired',
        label: 'ceiling · token: the form POST answered with one signed id_token, nothing else (RS256 2048), in the same alternate runs',
        request: ceilingRequests.token,
      },
    ],
    tokenCeilings: [
      {
        id: 'ceiling.token-checked',
        label: 'ceiling · token with the protocol’s checks (client authentication, the code taken once for its client and redirect URI, the nonce, the access token kept), in the same alternate runs',
        env: loginCeilings.protocol.env,
      },
      {
        id: 'ceiling.token-duties',
        label:
          'ceiling · token with the checks and the bridge’s duties (rate limit per client and IP, access-log line, request-duration histogram, security headers, access token sealed instead of kept), in the same alternate runs',
        env: loginCeilings.duties.env,
      },
    ],
    rows: ['bridge.token', 'bridge.userinfo-jwt'],
  },
  {
    ceilings: [{ id: 'ceiling.verify-paired', label: 'ceiling · verify (RS256 2048), in alternate runs with /userinfo JSON', request: ceilingRequests.verify }],
    rows: ['bridge.userinfo'],
  },
];

/**
 * Bridge rows against ceilings measured in alternate runs with them (the ceilings' bare Fastify
 * idles beside the bridge on the server core while the bridge is measured, and the other way
 * round). Their targets are ratios to those ceilings, and measured minutes apart (the ceilings
 * section, then this one) the two moved by ±15 % on a shared host while a gap is a few per cent.
 */
async function rowsWithTheirCeilings(context: Context, bridge: StartedBridge, group: PairedCeilings): Promise<EndpointRow[]> {
  const tokenCeilings = group.tokenCeilings ?? [];
  const labels = [...group.ceilings, ...tokenCeilings, ...group.rows.map((id) => ({ id, label: bridgeRows[id]?.label ?? id }))];
  context.log(`  ${labels.map((entry) => entry.label).join(' | ')}`);
  const server = await spawnBenchServer(ceilingScript, serverCore, { PORT: String(await freePort()) });
  const started: Spawned[] = [];
  try {
    const specs: RowSpec[] = [];
    for (const ceiling of group.ceilings) specs.push(rowSpec(context, 200, server, server.url, { request: await ceiling.request(server.url, context.client) }));
    for (const ceiling of tokenCeilings) {
      // A port and a fake Kakao of its own: the run's fake Kakao redirects only to the bridge.
      const port = await freePort();
      const kakao = await startFakeKakao(context.dist, port);
      started.push(kakao);
      const loginCeiling = await startLoginCeiling({ ...context, bridge: { ...context.bridge, port, kakaoUrl: kakao.url } }, { env: ceiling.env });
      started.push(loginCeiling);
      specs.push(rowSpec(context, 200, loginCeiling, loginCeiling.url, mintedTokenRequests(context, loginCeiling.url)));
    }
    for (const id of group.rows) {
      const definition = bridgeRows[id];
      if (definition === undefined) throw new Error(`no bridge row ${id}`);
      specs.push(rowSpec(context, definition.expected, bridge, bridge.origin, await definition.requests(context, bridge)));
    }
    const results = await loadRowsAlternating(specs);
    return labels.map((entry, index) => {
      const result = results[index];
      return result === undefined ? failedRow(entry.id, entry.label, new Error('not measured')) : endpointRow(entry.id, entry.label, result, String(specs[index]?.expectStatus));
    });
  } catch (error) {
    return labels.map((entry) => failedRow(entry.id, entry.label, error));
  } finally {
    for (const spawned of [server, ...started]) await spawned.stop();
  }
}

/** Each bridge row gets a fresh bridge (memory store), so one row's leftovers do not weigh on the next. */
export async function bridgeEndpoints(outer: Context): Promise<EndpointRow[]> {
  outer.log('bridge endpoints (node dist/main.js, memory store)');
  const measureAll = async (context: Context) => {
    const rows: EndpointRow[] = [];
    // Each group on a fresh bridge, like the rows measured alone.
    for (const group of pairedCeilings) rows.push(...(await withBridge(context, {}, (bridge) => rowsWithTheirCeilings(context, bridge, group))));
    const paired = new Set(pairedCeilings.flatMap((group) => group.rows));
    for (const id of Object.keys(bridgeRows)) if (!paired.has(id)) rows.push(await bridgeRow(context, id));
    return rows;
  };
  if (!outer.settings.quick) return measureAll(outer);
  const shared = await startBridge(outer.bridge, outer.bridgeEnv);
  try {
    return await measureAll({ ...outer, shared });
  } finally {
    await shared.stop();
  }
}

/** A login row that could not be measured, and why. */
function unmeasuredLogins(id: string, label: string, error: string): LoginRow {
  return { id, label, rate: 0, p50: 0, p99: 0, cpu: 0, cores: [], error };
}

function loginRow(id: string, label: string, measured: MeasuredFlow): LoginRow {
  const { saturated, paced: half } = measured;
  const failures = saturated.failures + (half?.failures ?? 0);
  const note = failures === 0 ? undefined : `${failures} failed: ${saturated.firstError ?? half?.firstError ?? ''}`.slice(0, 300);
  return {
    id,
    label,
    rate: saturated.rate,
    p50: saturated.p50,
    p99: saturated.p99,
    cpu: saturated.cpu,
    cores: saturated.cores,
    ...(half === undefined ? {} : { pacedRate: half.rate, pacedP50: half.p50, pacedP99: half.p99 }),
    ...(note === undefined ? {} : { note }),
  };
}

/** authorize → fake Kakao → callback → token → userinfo, each login in a fresh browser. */
export async function bridgeLogins(context: Context, id: string, label: string, env: Record<string, string>): Promise<LoginRow> {
  context.log(`  ${label}`);
  try {
    return await withBridge(context, env, async (bridge) => {
      const flow: Flow = async () => (await fullLogin(context.client, bridge.origin)).bridgeMs;
      return loginRow(id, label, await measureFlow(context.settings, flow, bridge.pid, true));
    });
  } catch (error) {
    return unmeasuredLogins(id, label, (error as Error).message.slice(0, 300));
  }
}

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A Redis for the Redis-store row: REDIS_URL if set, else a throwaway redis-server on the load core. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> } | string> {
  if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') return { url: process.env.REDIS_URL, stop: () => Promise.resolve() };
  if (!commandExists('redis-server')) return 'redis-server is not installed and REDIS_URL is not set';
  const port = await freePort();
  const redis = await spawnPinned('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    core: loadCore,
    readyLine: /(Ready to accept connections)/,
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => redis.stop() };
}

/** bench/servers/login-ceiling.ts (or its bundle) on the bridge's port: the only redirect URI the fake Kakao accepts. */
function startLoginCeiling(context: Context, options: { script?: string; nodeArgs?: string[]; env?: Record<string, string> } = {}): Promise<Spawned> {
  const env = { PORT: String(context.bridge.port), KAKAO_URL: context.bridge.kakaoUrl, ...options.env };
  return spawnBenchServer(options.script ?? loginCeilingScript, serverCore, env, options.nodeArgs);
}

/** The same logins against one of the login ceilings; `env` adds to the environment that selects it. */
async function ceilingLogins(context: Context, ceiling: (typeof loginCeilings)[keyof typeof loginCeilings], env: Record<string, string> = {}): Promise<LoginRow> {
  const { id, label } = ceiling;
  context.log(`  ${label}`);
  const server = await startLoginCeiling(context, { env: { ...ceiling.env, ...env } });
  try {
    const flow: Flow = async () => (await fullLogin(context.client, server.url)).bridgeMs;
    return loginRow(id, label, await measureFlow(context.settings, flow, server.pid, true));
  } catch (error) {
    return unmeasuredLogins(id, label, (error as Error).message.slice(0, 300));
  } finally {
    await server.stop();
  }
}

export async function logins(context: Context): Promise<LoginRow[]> {
  context.log('full logins: the login ceilings, then the bridge');
  const rows = [
    await ceilingLogins(context, loginCeilings.bare),
    await ceilingLogins(context, loginCeilings.protocol),
    await ceilingLogins(context, loginCeilings.duties),
    await bridgeLogins(context, 'login.memory', 'bridge · full login, memory store', {}),
  ];
  const label = 'bridge · full login, Redis store';
  if (!existsSync(join(context.dist, 'store', 'redis.js'))) {
    rows.push(unmeasuredLogins('login.redis', label, 'pending: src/store/redis.ts (RedisStore) is not built yet'));
    return rows;
  }
  const redis = await startRedis();
  if (typeof redis === 'string') {
    rows.push(...[loginCeilings.redis, loginCeilings.redisDuties].map((ceiling) => unmeasuredLogins(ceiling.id, ceiling.label, `pending: ${redis}`)), unmeasuredLogins('login.redis', label, `pending: ${redis}`));
    return rows;
  }
  try {
    const dataDir = mkdtempSync(join(context.workDir, 'redis-data-'));
    rows.push(await ceilingLogins(context, loginCeilings.redis, { REDIS_URL: redis.url }));
    rows.push(await ceilingLogins(context, loginCeilings.redisDuties, { REDIS_URL: redis.url }));
    rows.push(await bridgeLogins(context, 'login.redis', label, { REDIS_URL: redis.url, DATA_DIR: dataDir }));
  } finally {
    await redis.stop();
  }
  return rows;
}

export interface MemoryRun {
  /** Waits for the TTLs (other sections may run meanwhile), reads RSS again, stops the bridge. */
  finish(): Promise<MemoryResult>;
}

/** Sweep interval of the memory store (src/store/memory.ts): expired entries are gone at most this long after they expire. */
const sweepSeconds = 30;
/**
 * Short TTLs, so that the run can wait for them; the cap of the memory store raised (a login holds
 * two entries only until its /token, but one that stalled would hold them for CODE_TTL) so that
 * the run measures memory, never the cap.
 */
const memoryEnv = { ACCESS_TOKEN_TTL: '60', LOGIN_TTL: '30', CODE_TTL: '60', MEMORY_STORE_MAX_ENTRIES: '1000000' };

/** RSS of one server over `memoryLogins` logins (authorize → Kakao → callback → token), sampled 4× a second. */
interface Drive {
  measured: MemoryDrive;
  /** When the last login finished (performance.now()). */
  ended: number;
}

async function driveLogins(context: Context, server: { pid: number }, origin: string): Promise<Drive> {
  const { settings } = context;
  const client = new Client(settings.memoryConcurrency);
  try {
    await sleep(500);
    const beforeMb = rssMb(server.pid);
    let peakMb = beforeMb;
    const sampler = setInterval(() => {
      peakMb = Math.max(peakMb, rssMb(server.pid));
    }, 250);
    let finished = 0;
    const began = performance.now();
    const deadline = began + (settings.quick ? 20 : 480) * 1000;
    let next = 0;
    let firstError: unknown;
    await Promise.all(
      Array.from({ length: settings.memoryConcurrency }, async () => {
        while (next < settings.memoryLogins && performance.now() < deadline && firstError === undefined) {
          next++;
          try {
            await fullLogin(client, origin, false);
            finished++;
          } catch (error) {
            firstError ??= error;
          }
        }
      }),
    );
    clearInterval(sampler);
    if (firstError !== undefined) throw firstError instanceof Error ? firstError : new Error('a login failed', { cause: firstError });
    const ended = performance.now();
    const afterMb = rssMb(server.pid);
    return { measured: { logins: finished, seconds: (ended - began) / 1000, beforeMb, peakMb: Math.max(peakMb, afterMb), afterMb }, ended };
  } finally {
    await client.close();
  }
}

/**
 * The login ceiling as one bundled file, as the bridge runs (dist/server.js): loaded through the
 * TypeScript loader it idled 10–15 MB higher, which no server in production carries.
 */
async function bundledLoginCeiling(context: Context): Promise<string> {
  const outfile = join(context.dist, 'bench', 'login-ceiling.mjs');
  await build({ entryPoints: [loginCeilingScript], outfile, bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'error' });
  return outfile;
}

interface MemoryServer {
  pid: number;
  origin: string;
  stop(): Promise<void>;
}

/** RSS of one server over the memory logins; it is stopped right after. */
async function memoryOf(context: Context, label: string, start: () => Promise<MemoryServer>): Promise<MemoryDrive> {
  try {
    const server = await start();
    try {
      const drive = (await driveLogins(context, server, server.origin)).measured;
      context.log(`memory: ${label}, ${drive.logins} logins in ${drive.seconds.toFixed(0)} s, RSS ${drive.beforeMb.toFixed(0)} → ${drive.afterMb.toFixed(0)} MB (peak ${drive.peakMb.toFixed(0)})`);
      return drive;
    } finally {
      await server.stop();
    }
  } catch (error) {
    return { logins: 0, seconds: 0, beforeMb: 0, peakMb: 0, afterMb: 0, error: (error as Error).message.slice(0, 300) };
  }
}

/**
 * The same logins against the login ceiling (bare Fastify that keeps nothing): the RSS that the
 * runtime and the load alone reach, with V8's default heap or `nodeArgs`. On the bridge's port,
 * before the bridge starts (the fake Kakao knows only that redirect URI).
 */
function ceilingMemory(context: Context, script: string, nodeArgs: string[]): Promise<MemoryDrive> {
  return memoryOf(context, `login ceiling ${nodeArgs.join(' ')}`, async () => {
    const server = await startLoginCeiling(context, { script, nodeArgs });
    return { pid: server.pid, origin: server.url, stop: () => server.stop() };
  });
}

/**
 * RSS of a bridge before and right after `memoryLogins` logins, then once every TTL has passed
 * and the store has swept; the login ceiling's over the same logins first, and the bridge's with
 * the same small heap as the lean ceiling.
 */
export async function memoryStart(context: Context): Promise<MemoryRun> {
  const { settings } = context;
  context.log(`memory: ${settings.memoryLogins} logins, against the login ceiling (V8's default heap, then a lean one), then the bridge`);
  const settingsText = `${Object.entries(memoryEnv).map(([name, value]) => `${name}=${value}`).join(' ')}; logins without /userinfo, ${settings.memoryConcurrency} at once`;
  const bundledCeiling = await bundledLoginCeiling(context);
  const ceiling = await ceilingMemory(context, bundledCeiling, []);
  const leanCeiling = await ceilingMemory(context, bundledCeiling, leanHeapNodeArgs);
  const lean = await memoryOf(context, `bridge ${leanHeapNodeArgs.join(' ')}`, () => startBridge(context.bridge, { ...context.bridgeEnv, ...memoryEnv }, leanHeapNodeArgs));
  const bridge = await startBridge(context.bridge, { ...context.bridgeEnv, ...memoryEnv });
  let drive: Drive;
  try {
    drive = await driveLogins(context, bridge, bridge.origin);
  } catch (error) {
    await bridge.stop();
    const failed: MemoryResult = { logins: 0, seconds: 0, beforeMb: 0, peakMb: 0, afterMb: 0, afterTtlMb: 0, waitedSeconds: 0, settings: settingsText, ceiling, leanCeiling, lean, error: (error as Error).message.slice(0, 300) };
    return { finish: () => Promise.resolve(failed) };
  }
  const { measured, ended } = drive;
  const ttlMs = Math.max(...[memoryEnv.ACCESS_TOKEN_TTL, memoryEnv.CODE_TTL, memoryEnv.LOGIN_TTL].map(Number)) * 1000;
  context.log(`memory: bridge, ${measured.logins} logins in ${measured.seconds.toFixed(0)} s, RSS ${measured.beforeMb.toFixed(0)} → ${measured.afterMb.toFixed(0)} MB`);
  const expiresAt = ended + ttlMs + (sweepSeconds + 2) * 1000;
  return {
    finish: async () => {
      try {
        if (settings.waitForTtl) {
          const wait = expiresAt - performance.now();
          if (wait > 0) {
            context.log(`memory: waiting ${(wait / 1000).toFixed(0)} s for the TTLs and the sweep`);
            await sleep(wait);
          }
        }
        const afterTtlMb = rssMb(bridge.pid);
        return { ...measured, settings: settingsText, ceiling, leanCeiling, lean, afterTtlMb, waitedSeconds: (performance.now() - ended) / 1000 };
      } finally {
        await bridge.stop();
      }
    },
  };
}

/**
 * A restart finds the keys in DATA_DIR and V8's code cache filled by the start before it; a first
 * start in the image finds the code cache the image ships, but no key; a first start from a fresh
 * build has neither: it generates the key and compiles everything.
 */
export type ColdStartKind = 'keysExist' | 'imageFirstStart' | 'firstStart';

/** Starts the bridge once, so that the code cache returned and context.bridge.dataDir's keys exist for the starts that find them. */
export async function prepareColdStarts(context: Context): Promise<string> {
  const warmCache = mkdtempSync(join(context.workDir, 'compile-cache-'));
  await (await startBridge(context.bridge, { ...context.bridgeEnv, NODE_COMPILE_CACHE: warmCache })).stop();
  return warmCache;
}

/**
 * One start of `kind`: from spawn to the first 200 from discovery and the CPU time used by then,
 * and on to the first /jwks that publishes a key (asked for right after that discovery).
 */
export async function timeColdStart(context: Context, kind: ColdStartKind, warmCache: string): Promise<{ ms: number; cpuMs: number; jwksMs: number }> {
  const fresh = (prefix: string) => mkdtempSync(join(context.workDir, prefix));
  const dataDir = kind === 'keysExist' ? context.bridge.dataDir : fresh('first-start-');
  const compileCache = kind === 'firstStart' ? fresh('first-start-cache-') : warmCache;
  const bridge = await startBridge({ ...context.bridge, dataDir }, { ...context.bridgeEnv, NODE_COMPILE_CACHE: compileCache });
  try {
    const asked = performance.now();
    const jwks = (await (await fetch(`${bridge.origin}/jwks`)).json()) as { keys?: unknown[] };
    const jwksMs = bridge.startupMs + performance.now() - asked;
    if ((jwks.keys?.length ?? 0) === 0) throw new Error(`the first /jwks published no key (${kind}: ${JSON.stringify(jwks).slice(0, 80)})`);
    return { ms: bridge.startupMs, cpuMs: bridge.startupCpuMs, jwksMs };
  } finally {
    await bridge.stop();
  }
}

export async function coldStart(context: Context): Promise<ColdStartResult> {
  context.log('cold start');
  const { settings } = context;
  const samples: Record<ColdStartKind, number[]> = { keysExist: [], imageFirstStart: [], firstStart: [] };
  const cpu: Record<ColdStartKind, number[]> = { keysExist: [], imageFirstStart: [], firstStart: [] };
  const jwks: Record<ColdStartKind, number[]> = { keysExist: [], imageFirstStart: [], firstStart: [] };
  try {
    const warmCache = await prepareColdStarts(context);
    for (let run = 0; run < settings.coldStarts; run++) {
      for (const kind of ['keysExist', 'imageFirstStart', 'firstStart'] as const) {
        const start = await timeColdStart(context, kind, warmCache);
        samples[kind].push(start.ms);
        cpu[kind].push(start.cpuMs);
        jwks[kind].push(start.jwksMs);
      }
    }
  } catch (error) {
    return {
      keysExistMs: 0,
      imageFirstStartMs: 0,
      firstStartMs: 0,
      keysExistCpuMs: 0,
      imageFirstStartCpuMs: 0,
      firstStartCpuMs: 0,
      jwksMs: { keysExist: 0, imageFirstStart: 0, firstStart: 0 },
      runs: samples,
      error: (error as Error).message.slice(0, 300),
    };
  }
  return {
    keysExistMs: median(samples.keysExist),
    imageFirstStartMs: median(samples.imageFirstStart),
    firstStartMs: median(samples.firstStart),
    keysExistCpuMs: median(cpu.keysExist),
    imageFirstStartCpuMs: median(cpu.imageFirstStart),
    firstStartCpuMs: median(cpu.firstStart),
    jwksMs: { keysExist: median(jwks.keysExist), imageFirstStart: median(jwks.imageFirstStart), firstStart: median(jwks.firstStart) },
    runs: samples,
  };
}
