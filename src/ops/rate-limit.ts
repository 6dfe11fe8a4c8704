import fastifyRateLimit, { normalizeIP, type FastifyRateLimitStore, type RateLimitOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import type { Redis } from 'ioredis';
import { decodeJwt } from 'jose';
import type { Config, RateLimits } from '../config.js';
import { ErrorPage, OAuthError } from '../errors.js';
import { reconnectDelay } from '../store/reconnect.js';

const windowMs = 60_000;
/** Counters live next to the store's keys (`kob:`), apart from them. */
const redisPrefix = 'kob:rate:';
/** A rate-limit call that gets no answer within this lets the request through (the limiter fails open). */
const redisCommandTimeoutMs = 250;
/** How long startup waits for the limiter's Redis connection; without it requests are simply not counted. */
const redisStartupWaitMs = 2000;

type Endpoint = keyof RateLimits;

/** Logs once, the first time a forwarded request shows that TRUST_PROXY is missing. */
interface ProxyWarning {
  warned: boolean;
}

/**
 * Per-source request limits: /authorize and /callback per client IP (browsers), /token per
 * client and IP. `request.ip` honours TRUST_PROXY: behind a proxy without it, every user has the
 * proxy's address and shares one budget. With REDIS_URL the counters are shared by every replica;
 * a Redis that is down or slow lets requests through rather than failing or holding them.
 * @see RFC 6585 §4 (429 Too Many Requests), RFC 9110 §10.2.3 (Retry-After)
 */
export async function registerRateLimits(app: FastifyInstance, config: Pick<Config, 'rateLimits' | 'redisUrl' | 'trustProxy' | 'clients'>): Promise<void> {
  const limits = config.rateLimits;
  if (limits.authorize === 0 && limits.callback === 0 && limits.token === 0) return;

  let redis: Redis | undefined;
  if (config.redisUrl !== undefined) {
    redis = await rateLimitRedis(config.redisUrl);
    const client = redis;
    // Counting starts with the first request: give the connection a moment before listening (the store waits longer).
    app.addHook('onReady', async () => {
      await readyWithin(client, redisStartupWaitMs);
    });
    app.addHook('onClose', () => {
      client.disconnect();
    });
  }
  await app.register(fastifyRateLimit, {
    global: false,
    // A store error (Redis down, timed out) counts nothing and lets the request through.
    skipOnError: true,
    ...(redis === undefined ? { cache: 10_000 } : { store: redisWindowStore(redis) }),
  });

  const proxyWarning: ProxyWarning = { warned: false };
  const clientIds = new Set(config.clients.map((client) => client.clientId));
  const limiters = new Map<Endpoint, ReturnType<FastifyInstance['rateLimit']>>();
  for (const endpoint of ['authorize', 'callback', 'token'] as const) {
    const max = limits[endpoint];
    if (max === 0) continue;
    limiters.set(endpoint, app.rateLimit(limiterOptions(endpoint, max, clientIds, config.trustProxy === false, proxyWarning)));
  }

  // Every route of an endpoint shares one budget: GET and POST /authorize, HEAD, and the copies
  // mounted under PUBLIC_URL's path.
  app.addHook('onRoute', (route) => {
    const endpoint = endpointOf(route);
    const limiter = endpoint === undefined ? undefined : limiters.get(endpoint);
    if (endpoint === undefined || limiter === undefined) return;
    // /token is keyed by client_id, which the form body carries: count once it is parsed, before validation.
    const hook = endpoint === 'token' ? 'preValidation' : 'onRequest';
    const existing = route[hook];
    route[hook] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), limiter] as typeof existing;
  });
}

function endpointOf(route: RouteOptions & { routePath?: string }): Endpoint | undefined {
  const path = route.routePath ?? route.url;
  if (path === '/authorize') return 'authorize';
  if (path === '/token') return 'token';
  if (path.startsWith('/callback/')) return 'callback';
  return undefined;
}

function limiterOptions(endpoint: Endpoint, max: number, clientIds: ReadonlySet<string>, proxyUntrusted: boolean, proxyWarning: ProxyWarning): RateLimitOptions {
  const ipKey = (request: FastifyRequest): string => {
    if (proxyUntrusted && !proxyWarning.warned && request.headers['x-forwarded-for'] !== undefined) {
      proxyWarning.warned = true;
      request.log.warn('requests carry X-Forwarded-For but TRUST_PROXY is off: rate limits count every client behind the proxy as one address');
    }
    return normalizeIP(request.ip);
  };
  return {
    max,
    timeWindow: windowMs,
    keyGenerator:
      endpoint === 'token'
        ? (request) => {
            const clientId = tokenClientId(request);
            return clientId !== undefined && clientIds.has(clientId) ? `token:${clientId}:${ipKey(request)}` : `token:${ipKey(request)}`;
          }
        : (request) => `${endpoint}:${ipKey(request)}`,
    errorResponseBuilder: (_request, context) => {
      const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return endpoint === 'token'
        ? new OAuthError('temporarily_unavailable', `too many token requests: retry in ${seconds} s`, 429)
        : new ErrorPage('Too many requests', `Too many sign-in requests came from your network. Wait ${seconds} seconds, then go back to the application and try again.`, 429);
    },
  };
}

/**
 * Which client a token request claims to be, unauthenticated (the limit only needs a key): the
 * form's client_id, else the Basic header's user name, else a client assertion's `sub`.
 * Unknown or unreadable ids fall back to the IP, so made-up ids cannot open new budgets.
 */
export function tokenClientId(request: Pick<FastifyRequest, 'body' | 'headers'>): string | undefined {
  const body = request.body;
  if (typeof body === 'object' && body !== null) {
    const form = body as Record<string, unknown>;
    if (typeof form.client_id === 'string') return form.client_id;
    if (typeof form.client_assertion === 'string') {
      try {
        const sub = decodeJwt(form.client_assertion).sub;
        if (typeof sub === 'string') return sub;
      } catch {
        // not a JWT: the IP is the key
      }
    }
  }
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string' && /^basic /i.test(authorization)) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      try {
        return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      } catch {
        return decoded.slice(0, colon);
      }
    }
  }
  return undefined;
}

/**
 * The store's Redis options (src/store/redis.ts), with a shorter deadline: a slow limiter must not
 * slow logins. ioredis is loaded here, only where a Redis is configured.
 */
async function rateLimitRedis(url: string): Promise<Redis> {
  const { Redis: RedisClient } = await import('ioredis');
  const client = new RedisClient(url, {
    enableOfflineQueue: false,
    commandTimeout: redisCommandTimeoutMs,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (attempt) => reconnectDelay(attempt, 2000),
    connectionName: 'kakao-oidc-bridge-rate-limit',
  });
  // The store reports Redis outages; here an error only means "not counted".
  client.on('error', () => undefined);
  return client;
}

function readyWithin(client: Redis, ms: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    client.once('ready', done);
  });
}

/** One fixed window per key: INCR, and PEXPIRE on the first hit. Atomic, so replicas share counts. */
const windowScript = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {current, ttl}
`;

type WindowRedis = Redis & { kobRateWindow(key: string, windowMs: number): Promise<[number, number]> };

/**
 * The plugin's Redis store keys its counters by route; these limiters are not tied to one route
 * (every /authorize route shares a budget), so they get a store whose keys are just the prefix
 * and the limiter's key (`kob:rate:authorize:203.0.113.7`).
 */
function redisWindowStore(redis: Redis): new () => FastifyRateLimitStore {
  redis.defineCommand('kobRateWindow', { numberOfKeys: 1, lua: windowScript });
  const client = redis as WindowRedis;
  return class SharedWindowStore implements FastifyRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      client.kobRateWindow(`${redisPrefix}${key}`, timeWindow).then(
        ([current, ttl]) => {
          callback(null, { current, ttl });
        },
        (error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }

    child(): FastifyRateLimitStore {
      return this;
    }
  };
}
