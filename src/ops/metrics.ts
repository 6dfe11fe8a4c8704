import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Config } from '../config.js';
import { ErrorRedirect, UpstreamError } from '../errors.js';
import { StoreUnavailable } from '../store/store.js';
import type { KakaoCallObserver } from '../upstream/kakao.js';
import { RequestDurations } from './request-durations.js';

/**
 * What the provider's endpoints report about logins and tokens. Every label value comes from the
 * configuration or a fixed set of reasons, never from a request, so the series stay bounded.
 */
export interface ProviderMetrics {
  /** /authorize sent the browser to the upstream. */
  loginStarted(connectorId: string): void;
  /** The callback issued a code to the client. */
  loginCompleted(connectorId: string): void;
  /** An UpstreamError reason, or one of `loginFailure`. */
  loginFailed(reason: string): void;
  /** /token answered; `idToken` when an id_token came with the access token. */
  tokensIssued(grantType: string, idToken: boolean): void;
}

/** Callback failures that are not the upstream's. */
export const loginFailure = {
  /** The login is unknown: expired, already used, or the callback names another connector. */
  expired: 'login_expired',
  /** The callback came back to a browser that did not start the login. */
  browserMismatch: 'browser_mismatch',
} as const;

/** A failed exchange: the upstream's reason, else the OAuth error the client gets (a bounded set). */
export function loginFailureReason(error: unknown): string {
  if (error instanceof UpstreamError) return error.reason;
  if (error instanceof ErrorRedirect) return error.oauthError.cause instanceof StoreUnavailable ? 'store_unavailable' : error.oauthError.error;
  return 'server_error';
}

const prefix = 'kakao_oidc_bridge_';
/** Kakao calls take tens to hundreds of ms; the deadline is at most 10 s. */
const kakaoBuckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;

/**
 * Process metrics (CPU, memory, event loop, GC) describe the process, not an app: collected once
 * per process into their own registry, which each app's registry includes.
 */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The bridge's Prometheus metrics, in a registry of its own (several apps may share a process). */
export class Metrics implements ProviderMetrics {
  readonly registry: Registry;
  private readonly started: Counter<'connector'>;
  private readonly completed: Counter<'connector'>;
  private readonly failed: Counter<'reason'>;
  private readonly tokens: Counter<'grant_type' | 'token_type'>;
  private readonly kakao: Histogram<'endpoint' | 'outcome'>;
  private readonly http = new RequestDurations(
    `${prefix}http_request_duration_seconds`,
    'Duration of HTTP requests, by method, route pattern and status class',
    httpBuckets,
  );

  constructor(connectorIds: readonly string[] = []) {
    const own = new Registry();
    const registers = [own];
    this.started = new Counter({
      name: `${prefix}logins_started_total`,
      help: 'Logins sent to the upstream (Kakao) by /authorize',
      labelNames: ['connector'],
      registers,
    });
    this.completed = new Counter({
      name: `${prefix}logins_completed_total`,
      help: 'Logins that came back from the upstream and ended with a code for the client',
      labelNames: ['connector'],
      registers,
    });
    this.failed = new Counter({
      name: `${prefix}logins_failed_total`,
      help: 'Callbacks that ended without a code, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.tokens = new Counter({
      name: `${prefix}tokens_issued_total`,
      help: 'Tokens issued by /token, by grant type and token type',
      labelNames: ['grant_type', 'token_type'],
      registers,
    });
    this.kakao = new Histogram({
      name: `${prefix}kakao_request_duration_seconds`,
      help: 'Duration of calls to Kakao, by endpoint (token, user) and outcome (ok or the failure reason)',
      labelNames: ['endpoint', 'outcome'],
      buckets: kakaoBuckets,
      registers,
    });
    // prom-client's typings admit only its own classes; its Registry reads name, help, type, get() and reset().
    own.registerMetric(this.http as unknown as Histogram);
    // Series that exist from the start, so rate() and absent() work before the first login.
    for (const connector of connectorIds) {
      this.started.inc({ connector }, 0);
      this.completed.inc({ connector }, 0);
    }
    this.registry = Registry.merge([own, processMetrics()]);
  }

  loginStarted(connectorId: string): void {
    this.started.inc({ connector: connectorId });
  }

  loginCompleted(connectorId: string): void {
    this.completed.inc({ connector: connectorId });
  }

  loginFailed(reason: string): void {
    this.failed.inc({ reason });
  }

  tokensIssued(grantType: string, idToken: boolean): void {
    this.tokens.inc({ grant_type: grantType, token_type: 'access_token' });
    if (idToken) this.tokens.inc({ grant_type: grantType, token_type: 'id_token' });
  }

  /** The KakaoConnector's observer: outcome is 'ok', an UpstreamError reason, or 'error'. */
  readonly kakaoCall: KakaoCallObserver = (call, outcome, durationMs) => {
    this.kakao.observe({ endpoint: call, outcome }, durationMs / 1000);
  };

  /** `route` is the route pattern (or 'unmatched'), never a raw URL. */
  requestDone(method: string, route: string, status: number, seconds: number): void {
    this.http.observe(method, route, status, seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/**
 * Times every request by route pattern, and serves `/metrics`: on the main port, or with
 * METRICS_PORT on a separate server (started with the app, closed with it) and not on the main one.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, config: Pick<Config, 'metricsPort' | 'host'>): void {
  app.addHook('onResponse', (request, reply, done) => {
    // routeOptions.url is the pattern (/callback/:connectorId); unmatched URLs share one series.
    metrics.requestDone(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  const { metricsPort } = config;
  if (metricsPort === undefined) {
    app.get('/metrics', async (_request, reply) => reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(await metrics.render()));
    return;
  }
  let server: Server | undefined;
  // onReady: the metrics port is bound before the main one, and a port in use fails the start.
  app.addHook('onReady', async () => {
    server = await listenMetrics(metrics, metricsPort, config.host);
    app.log.info({ port: metricsPort }, 'metrics served on a separate port');
  });
  app.addHook('onClose', async () => {
    if (server === undefined) return;
    const closing = server;
    server = undefined;
    closing.closeAllConnections();
    await new Promise<void>((resolve, reject) => {
      closing.close((error) => {
        if (error === undefined) resolve();
        else reject(error);
      });
    });
  });
}

/** A bare HTTP server for Prometheus: GET /metrics, nothing else. */
export async function listenMetrics(metrics: Metrics, port: number, host: string): Promise<Server> {
  // Not `import … from 'node:http'`: an ES import of it reads every export, which loads Node's own
  // undici (fetch, WebSocket) on every start, a sixth of the start's CPU time, for nothing.
  const server = process.getBuiltinModule('node:http').createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    metrics.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : text);
      },
      () => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
