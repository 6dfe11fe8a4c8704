import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { routeSchemaCompilers } from './http/route-validators.js';
import { securityHeaders } from './http/security-headers.js';
import { UpstreamClient } from './http/upstream-client.js';
import type { KeySet } from './keys.js';
import { createLogger, pathOf } from './logging.js';
import { registerAuthorize } from './oidc/authorize.js';
import { BrowserBinding } from './oidc/browser-binding.js';
import { registerCallback } from './oidc/callback.js';
import type { ProviderContext } from './oidc/context.js';
import { registerDiscovery } from './oidc/discovery.js';
import { createErrorHandler } from './oidc/error-handler.js';
import { Records } from './oidc/records.js';
import { registerToken } from './oidc/token.js';
import { registerUserinfo } from './oidc/userinfo.js';
import { registerHealth } from './ops/health.js';
import { Metrics, registerMetrics } from './ops/metrics.js';
import { trustProxyOption } from './ops/proxy.js';
import { registerDrain } from './ops/drain.js';
import { registerRateLimits } from './ops/rate-limit.js';
import { registerSetupPage } from './ops/setup-page.js';
import type { Store } from './store/store.js';
import type { Connector } from './upstream/connector.js';
import { KakaoConnector } from './upstream/kakao.js';

export interface AppDeps {
  store: Store;
  keys: KeySet;
  /** Signs the browser-binding cookie, seals access tokens and authenticates codes; shared by every replica. */
  cookieSecret: string;
  /** Default: a KakaoConnector per configured connector. */
  connectors?: ReadonlyMap<string, Connector>;
  logger?: FastifyBaseLogger;
  /** Milliseconds since the epoch (default Date.now): what the lifetimes of codes' and tokens' contents are judged by. */
  clock?: () => number;
}

const bodyLimitBytes = 64 * 1024;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The access-log line of this route's responses: 'none' for public documents
     * (src/oidc/discovery.ts); 'failures' for what relying parties poll at their own rate
     * (/userinfo): successful responses at debug, the rest at info. Default: every response at info.
     */
    accessLog?: 'none' | 'failures';
  }
}

/** The bridge as a Fastify instance that is not listening yet: tests inject into it or listen on port 0. */
export async function buildApp(config: Config, deps: AppDeps): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger ?? createLogger(config.logLevel);
  // Request ids only correlate log lines: a counter, tagged per process so that replicas' ids differ.
  const processTag = randomBytes(4).toString('hex');
  let requestCount = 0;
  const app = Fastify({
    loggerInstance: logger,
    // The default request log prints the full URL, query string included (codes, states): one line per request is logged below instead.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => `${processTag}-${(++requestCount).toString(36)}`,
    bodyLimit: bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // Client IP and protocol only (logs); URLs never derive from forwarded headers. @see src/ops/proxy.ts
    trustProxy: trustProxyOption(config.trustProxy),
    schemaController: { compilersFactory: routeSchemaCompilers },
  });

  const http = new UpstreamClient({ timeoutMs: config.upstreamTimeoutMs });
  app.addHook('onClose', () => http.close());
  const metrics = new Metrics(config.connectors.map((connector) => connector.id));
  const connectors =
    deps.connectors ?? new Map(config.connectors.map((connector) => [connector.id, new KakaoConnector(connector, http, metrics.kakaoCall)]));
  const issuer = config.issuer;
  const context: ProviderContext = {
    config,
    issuer,
    clients: new Map(config.clients.map((client) => [client.clientId, client])),
    connectors,
    records: new Records(deps.store, {
      secret: deps.cookieSecret,
      maxAccessTokenTtl: Math.max(1, ...config.clients.map((client) => client.accessTokenTtl)),
    }),
    keys: deps.keys,
    binding: new BrowserBinding(issuer),
    metrics,
    now: () => Math.floor((deps.clock ?? Date.now)() / 1000),
    endpoints: {
      authorization: `${issuer}/authorize`,
      token: `${issuer}/token`,
      userinfo: `${issuer}/userinfo`,
      jwks: `${issuer}/jwks`,
      callback: (connectorId) => `${issuer}/callback/${encodeURIComponent(connectorId)}`,
    },
  };

  // Only form bodies: the token and userinfo endpoints take application/x-www-form-urlencoded. @see RFC 6749 §4.1.3
  app.removeAllContentTypeParsers();
  await app.register(fastifyFormbody, { bodyLimit: bodyLimitBytes });
  // Parsed only where a route reads it (src/oidc/browser-binding.ts), not on every request.
  await app.register(fastifyCookie, { secret: deps.cookieSecret, hook: false });
  // Before any route exists: its onRoute hook puts the limits on /authorize, /callback and /token.
  await registerRateLimits(app, config);
  registerDrain(app);

  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders);
    done();
  });
  // Checked once, so that a success logged at debug costs nothing (not even its IP) at other levels.
  const debugLogged = ['debug', 'trace'].includes(logger.level);
  app.addHook('onResponse', (request, reply, done) => {
    const accessLog = request.routeOptions.config.accessLog;
    const quietSuccess = accessLog === 'failures' && reply.statusCode < 400;
    if (accessLog === 'none' || (quietSuccess && !debugLogged)) {
      done();
      return;
    }
    request.log[quietSuccess ? 'debug' : 'info'](
      { method: request.method, path: pathOf(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime), ip: request.ip },
      'request',
    );
    done();
  });

  app.setErrorHandler(createErrorHandler(issuer));
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' }));

  const provider = (instance: FastifyInstance) => {
    registerDiscovery(instance, context);
    registerAuthorize(instance, context);
    registerCallback(instance, context);
    registerToken(instance, context);
    registerUserinfo(instance, context);
    if (config.setupPage) registerSetupPage(instance, { issuer, endpoints: context.endpoints, connectors: config.connectors, clients: config.clients });
    return Promise.resolve();
  };
  registerHealth(app, deps.store, deps.keys);
  registerMetrics(app, metrics, config);
  await app.register(provider);
  // PUBLIC_URL may carry a path (https://example.com/kakao): its endpoints answer there too, for
  // proxies that forward the path as is, as well as at the root for proxies that strip it.
  const issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
  if (issuerPath !== '') await app.register(provider, { prefix: issuerPath });
  return app;
}
