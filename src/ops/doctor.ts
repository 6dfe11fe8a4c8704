import { randomBytes } from 'node:crypto';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type Config, type ConnectorConfig } from '../config.js';
import { UpstreamClient, UpstreamTransportError, type UpstreamResponse } from '../http/upstream-client.js';
import { createStore } from '../store/create.js';
import type { Store } from '../store/store.js';
import { withTimeout } from '../timeout.js';

/** pass ✔, fail ✘, unknown ? (could not tell), skip – (does not apply). */
export type Verdict = 'pass' | 'fail' | 'unknown' | 'skip';

export interface CheckResult {
  item: string;
  verdict: Verdict;
  /** One line; never a secret. */
  reason: string;
}

export interface DoctorOptions {
  /** Default: createStore from src/store/create.ts. */
  createStore?: (config: Config) => Promise<Store>;
  /** Deadline of the PUBLIC_URL and Redis checks. */
  timeoutMs?: number;
}

type Env = Record<string, string | undefined>;

const defaultTimeoutMs = 5000;
/** Never a real code: Kakao answers KOE320 once it has accepted the client credentials. */
const dummyCode = 'kakao-oidc-bridge-doctor-dummy-code';

/**
 * Checks a deployment without a user: the configuration, each Kakao app's credentials, the
 * store, that PUBLIC_URL reaches this bridge, and that DATA_DIR is writable. Results come in
 * order through `report` as soon as each is known.
 */
export async function doctor(env: Env, report: (result: CheckResult) => void, options: DoctorOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (result: CheckResult) => {
    results.push(result);
    report(result);
  };
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    add({ item: 'configuration', verdict: 'fail', reason: error.message });
    return results;
  }
  add({ item: 'configuration', verdict: 'pass', reason: describeConfig(config) });

  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const http = new UpstreamClient({ timeoutMs: config.upstreamTimeoutMs });
  try {
    // Started together, reported in order.
    const checks = [
      ...config.connectors.map((connector) => checkKakaoCredentials(http, config, connector, env)),
      checkStore(config, options.createStore ?? ((c) => createStore(c)), timeoutMs),
      checkPublicUrl(config, timeoutMs),
      checkDataDir(config),
    ];
    for (const check of checks) add(await check);
  } finally {
    await http.close();
  }
  return results;
}

function describeConfig(config: Config): string {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  return `issuer ${config.issuer}, ${count(config.connectors.length, 'Kakao connector')}, ${count(config.clients.length, 'client')}`;
}

/** Which settings hold a connector's credentials, to name them in a verdict. */
function credentialNames(connector: ConnectorConfig, env: Env): { key: string; secret: string } {
  const fromEnv = connector.id === 'kakao' && [env.KAKAO_CLIENT_ID, env.KAKAO_CLIENT_ID_FILE].some((value) => value !== undefined && value !== '');
  return fromEnv
    ? { key: 'KAKAO_CLIENT_ID', secret: 'KAKAO_CLIENT_SECRET' }
    : { key: `client_id of connector "${connector.id}"`, secret: `client_secret of connector "${connector.id}"` };
}

/**
 * A token request with a dummy code: Kakao checks the client credentials before the code, so
 * KOE320 (code not found) means the REST API key and secret are right, KOE010 that the secret is
 * wrong, missing or not expected, KOE101 that the key is unknown. @see kakao-api.md §2
 */
export async function checkKakaoCredentials(http: UpstreamClient, config: Config, connector: ConnectorConfig, env: Env): Promise<CheckResult> {
  const item = `Kakao connector "${connector.id}"`;
  const names = credentialNames(connector, env);
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: connector.clientId,
    redirect_uri: `${config.issuer}/callback/${encodeURIComponent(connector.id)}`,
    code: dummyCode,
  });
  if (connector.clientSecret !== undefined) form.set('client_secret', connector.clientSecret);
  let response: UpstreamResponse;
  try {
    response = await http.send({
      method: 'POST',
      url: `${connector.authUrl}/oauth/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8', accept: 'application/json' },
      body: form.toString(),
    });
  } catch (error) {
    const why = error instanceof UpstreamTransportError ? transportReason(error) : (error as Error).message;
    return { item, verdict: 'unknown', reason: `cannot tell: ${why} (${connector.authUrl})` };
  }
  const errorCode = kakaoErrorCode(response);
  const withSecret = connector.clientSecret === undefined ? 'REST API key accepted (no client secret)' : 'REST API key and client secret accepted';
  switch (errorCode) {
    case 'KOE320':
      return { item, verdict: 'pass', reason: `${withSecret}: Kakao answered KOE320 to a dummy code` };
    case 'KOE101':
      return { item, verdict: 'fail', reason: `Kakao does not know this REST API key (KOE101): check ${names.key}` };
    case 'KOE010':
      return {
        item,
        verdict: 'fail',
        reason:
          connector.clientSecret === undefined
            ? `Kakao expects a client secret (KOE010): its Activation state is ON in the console, so set ${names.secret}`
            : `Kakao rejected the client secret (KOE010): check ${names.secret}, and unset it if the console's Activation state is OFF`,
      };
    default:
      return {
        item,
        verdict: 'unknown',
        reason: `cannot tell: Kakao answered HTTP ${response.status}${errorCode === undefined ? '' : ` ${errorCode}`} (${connector.authUrl})`,
      };
  }
}

function transportReason(error: UpstreamTransportError): string {
  if (error.failure === 'timeout') return 'Kakao did not answer in time';
  if (error.failure === 'too_large') return 'Kakao answered with an oversized body';
  return `Kakao could not be reached (${error.message})`;
}

function kakaoErrorCode(response: UpstreamResponse): string | undefined {
  try {
    const body: unknown = JSON.parse(response.body);
    if (typeof body === 'object' && body !== null && 'error_code' in body && typeof body.error_code === 'string') return body.error_code;
  } catch {
    // Not JSON: no Kakao error code.
  }
  return undefined;
}

/** The store answers PING (Redis), or there is none to check (in memory). */
export async function checkStore(config: Config, create: (config: Config) => Promise<Store>, timeoutMs: number): Promise<CheckResult> {
  const item = 'store';
  if (config.redisUrl === undefined) return { item, verdict: 'skip', reason: 'in memory (REDIS_URL is not set): one replica only' };
  const where = redactUrl(config.redisUrl);
  let store: Store | undefined;
  try {
    const creating = create(config);
    store = await withTimeout(creating, timeoutMs).catch((error: unknown) => {
      // Closed whenever it arrives, so no reconnecting client keeps the process alive.
      void creating.then((late) => late.close()).catch(() => undefined);
      throw error;
    });
    await withTimeout(store.ping(), timeoutMs);
    return { item, verdict: 'pass', reason: `Redis at ${where} answers PING` };
  } catch (error) {
    return { item, verdict: 'fail', reason: `Redis at ${where} does not answer: ${(error as Error).message}` };
  } finally {
    if (store !== undefined) await withTimeout(store.close(), timeoutMs).catch(() => undefined);
  }
}

/** Relying parties and Kakao reach the bridge at PUBLIC_URL: its discovery must name this issuer. */
export async function checkPublicUrl(config: Config, timeoutMs: number): Promise<CheckResult> {
  const item = 'PUBLIC_URL';
  const url = `${config.issuer}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  } catch (error) {
    return { item, verdict: 'fail', reason: `cannot reach ${url}: ${fetchFailure(error)} (is the bridge running and the proxy forwarding?)` };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    const location = response.headers.get('location');
    return { item, verdict: 'fail', reason: `${url} answered HTTP ${response.status}${location === null ? '' : ` (redirect to ${location})`}` };
  }
  let issuer: unknown;
  try {
    issuer = ((await response.json()) as { issuer?: unknown }).issuer;
  } catch {
    return { item, verdict: 'fail', reason: `${url} is not a discovery document` };
  }
  if (issuer !== config.issuer) {
    return { item, verdict: 'fail', reason: `${url} names issuer ${JSON.stringify(issuer)}, not ${config.issuer}: another instance answers there` };
  }
  return { item, verdict: 'pass', reason: `${url} answers with this issuer` };
}

function fetchFailure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Keys and the cookie secret are created in DATA_DIR on first start. */
export async function checkDataDir(config: Config): Promise<CheckResult> {
  const item = 'DATA_DIR';
  const dir = resolve(config.dataDir);
  const probe = join(dir, `.doctor-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, 'ok', { mode: 0o600, flag: 'wx' });
    await unlink(probe);
    return { item, verdict: 'pass', reason: `${dir} is writable` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { item, verdict: 'fail', reason: `${dir} is not writable (${code ?? (error as Error).message})` };
  }
}

/** A URL without its password (redis://user:pass@host). */
function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.href;
  } catch {
    return '(unparseable URL)';
  }
}
