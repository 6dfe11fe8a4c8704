import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Type, type Static } from 'typebox';
import { defaultMaxEntries } from './store/memory.js';

export type SigningAlg = 'RS256' | 'ES256';
export const signingAlgs: readonly SigningAlg[] = ['RS256', 'ES256'];

export interface ConnectorConfig {
  id: string;
  type: 'kakao';
  clientId: string;
  clientSecret: string | undefined;
  /** Kakao consent items sent as `scope`; empty = let the console's consent items decide. */
  scopes: string[];
  authUrl: string;
  apiUrl: string;
}

export interface ClientConfig {
  clientId: string;
  /** undefined = public client: PKCE S256 is required (RFC 9700 §2.1.1). */
  clientSecret: string | undefined;
  redirectUris: string[];
  connectorIds: string[];
  accessTokenTtl: number;
  idTokenTtl: number;
  /** OIDC Dynamic Client Registration §2 `userinfo_signed_response_alg`. */
  userinfoSignedResponseAlg: SigningAlg | undefined;
}

/** Requests per minute allowed to one source; 0 turns a limit off. */
export interface RateLimits {
  /** /authorize, per client IP. */
  authorize: number;
  /** /callback/{connector}, per client IP. */
  callback: number;
  /** /token, per client_id and IP (unknown client ids: per IP). */
  token: number;
}

export interface Config {
  port: number;
  host: string;
  /** The issuer: PUBLIC_URL without a trailing slash; every URL the bridge emits derives from it. */
  issuer: string;
  logLevel: string;
  dataDir: string;
  signingAlg: SigningAlg;
  /** undefined = generated once and kept in DATA_DIR. */
  cookieSecret: string | undefined;
  codeTtl: number;
  loginTtl: number;
  upstreamTimeoutMs: number;
  /** undefined = the in-memory store (one process). */
  redisUrl: string | undefined;
  /** Fastify's trustProxy: which proxy hops may set X-Forwarded-* (client IP, protocol). */
  trustProxy: boolean | number | string;
  /** undefined = /metrics on the main port. */
  metricsPort: number | undefined;
  setupPage: boolean;
  /** undefined = keys are never rotated automatically. */
  keyRotationDays: number | undefined;
  /** Requests per minute; 0 = no limit. */
  rateLimits: RateLimits;
  /** The in-memory store's cap (no effect with REDIS_URL). */
  memoryStoreMaxEntries: number;
  connectors: ConnectorConfig[];
  clients: ClientConfig[];
}

/** Startup fails with this, naming the variable (or config file field) that is wrong. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const maxCodeTtl = 60;

const ConnectorFileSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }),
    type: Type.Optional(Type.Literal('kakao')),
    client_id: Type.String({ minLength: 1 }),
    client_secret: Type.Optional(Type.String({ minLength: 1 })),
    client_secret_file: Type.Optional(Type.String({ minLength: 1 })),
    scopes: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.:-]+$' }))),
    auth_url: Type.Optional(Type.String()),
    api_url: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const ClientFileSchema = Type.Object(
  {
    client_id: Type.String({ minLength: 1, maxLength: 255 }),
    client_secret: Type.Optional(Type.String({ minLength: 1 })),
    client_secret_file: Type.Optional(Type.String({ minLength: 1 })),
    redirect_uris: Type.Array(Type.String(), { minItems: 1 }),
    connectors: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    access_token_ttl: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
    id_token_ttl: Type.Optional(Type.Integer({ minimum: 60, maximum: 86400 })),
    userinfo_signed_response_alg: Type.Optional(Type.Union([Type.Literal('RS256'), Type.Literal('ES256')])),
  },
  { additionalProperties: false },
);

const ConfigFileSchema = Type.Object(
  {
    connectors: Type.Optional(Type.Array(ConnectorFileSchema)),
    clients: Type.Optional(Type.Array(ClientFileSchema)),
  },
  { additionalProperties: false },
);
type ConfigFile = Static<typeof ConfigFileSchema>;

/** Reads one setting: `NAME`, or the contents of the file named by `NAME_FILE` (Docker secrets). */
function readSetting(env: Env, name: string): string | undefined {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file !== undefined && file !== '') {
    throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`);
  }
  if (file !== undefined && file !== '') return readSecretFile(`${name}_FILE`, file);
  return direct === '' ? undefined : direct;
}

function readSecretFile(variable: string, path: string): string {
  try {
    const value = readFileSync(path, 'utf8').trim();
    if (value === '') throw new ConfigError(variable, `${path} is empty`);
    return value;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(variable, `cannot read ${path}: ${(error as Error).message}`);
  }
}

function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readChoice<T extends string>(env: Env, name: string, fallback: T, choices: readonly T[]): T {
  const raw = readSetting(env, name) ?? fallback;
  const found = choices.find((choice) => choice === raw);
  if (found === undefined) throw new ConfigError(name, `must be one of ${choices.join(', ')}, got "${raw}"`);
  return found;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = readSetting(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

/** true, false, a hop count, or comma-separated addresses/CIDRs. @see Fastify's trustProxy */
function readTrustProxy(env: Env): boolean | number | string {
  const raw = readSetting(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!/^[0-9A-Fa-f:.,/\s]+$/.test(raw)) {
    throw new ConfigError('TRUST_PROXY', `must be true, false, a number of hops, or addresses/CIDRs, got "${raw}"`);
  }
  return raw;
}

function readRedisUrl(env: Env): string | undefined {
  const raw = readSetting(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  if (!/^rediss?:\/\/./.test(raw)) throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
  return raw;
}

function parseHttpUrl(variable: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, `must be an absolute URL, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(variable, `must be an http or https URL, got "${raw}"`);
  }
  return url;
}

/** @see OIDC Discovery §3: the issuer is https (or http for local use) with no query or fragment. */
function parseIssuer(raw: string | undefined): string {
  if (raw === undefined) throw new ConfigError('PUBLIC_URL', 'is required: the https URL where relying parties reach the bridge');
  const url = parseHttpUrl('PUBLIC_URL', raw);
  if (raw.includes('?') || raw.includes('#')) throw new ConfigError('PUBLIC_URL', 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

/** Base URLs of Kakao's hosts, kept without a trailing slash so paths can be appended. */
function parseBaseUrl(variable: string, raw: string): string {
  return parseHttpUrl(variable, raw).href.replace(/\/+$/, '');
}

/** @see RFC 6749 §3.1.2: absolute, no fragment; compared later by exact string match. */
function parseRedirectUri(variable: string, raw: string): string {
  const url = parseHttpUrl(variable, raw);
  if (url.hash !== '' || raw.includes('#')) throw new ConfigError(variable, `must not contain a fragment: "${raw}"`);
  return raw;
}

function splitList(raw: string | undefined, separator: RegExp): string[] {
  return (raw ?? '').split(separator).map((item) => item.trim()).filter((item) => item !== '');
}

function loadConfigFile(path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('CONFIG_FILE', `cannot read ${path} as JSON: ${(error as Error).message}`);
  }
  // The validator is loaded only when there is a config file to check (require(esm) is synchronous).
  const { Value } = createRequire(import.meta.url)('typebox/value') as typeof import('typebox/value');
  const [first] = Value.Errors(ConfigFileSchema, parsed);
  if (first !== undefined) {
    throw new ConfigError(`CONFIG_FILE ${first.instancePath || '/'}`, first.message);
  }
  return parsed as ConfigFile;
}

function secretFromFile(
  where: string,
  entry: { client_secret?: string | undefined; client_secret_file?: string | undefined },
): string | undefined {
  if (entry.client_secret !== undefined && entry.client_secret_file !== undefined) {
    throw new ConfigError(where, 'set either client_secret or client_secret_file, not both');
  }
  return entry.client_secret_file === undefined ? entry.client_secret : readSecretFile(`${where}/client_secret_file`, entry.client_secret_file);
}

interface Defaults {
  authUrl: string;
  apiUrl: string;
  accessTokenTtl: number;
  idTokenTtl: number;
}

function connectorsFrom(env: Env, file: ConfigFile | undefined, defaults: Defaults): ConnectorConfig[] {
  const connectors: ConnectorConfig[] = [];
  const kakaoClientId = readSetting(env, 'KAKAO_CLIENT_ID');
  if (kakaoClientId !== undefined) {
    connectors.push({
      id: 'kakao',
      type: 'kakao',
      clientId: kakaoClientId,
      clientSecret: readSetting(env, 'KAKAO_CLIENT_SECRET'),
      scopes: splitList(readSetting(env, 'KAKAO_SCOPES'), /[\s,]+/),
      authUrl: defaults.authUrl,
      apiUrl: defaults.apiUrl,
    });
  }
  for (const [index, entry] of (file?.connectors ?? []).entries()) {
    const where = `CONFIG_FILE /connectors/${index}`;
    connectors.push({
      id: entry.id,
      type: 'kakao',
      clientId: entry.client_id,
      clientSecret: secretFromFile(where, entry),
      scopes: entry.scopes ?? [],
      authUrl: entry.auth_url === undefined ? defaults.authUrl : parseBaseUrl(`${where}/auth_url`, entry.auth_url),
      apiUrl: entry.api_url === undefined ? defaults.apiUrl : parseBaseUrl(`${where}/api_url`, entry.api_url),
    });
  }
  const seen = new Set<string>();
  for (const connector of connectors) {
    if (seen.has(connector.id)) throw new ConfigError('CONFIG_FILE /connectors', `connector id "${connector.id}" is defined twice`);
    seen.add(connector.id);
  }
  return connectors;
}

function clientsFrom(env: Env, file: ConfigFile | undefined, connectors: ConnectorConfig[], defaults: Defaults): ClientConfig[] {
  const clients: ClientConfig[] = [];
  const allConnectorIds = connectors.map((connector) => connector.id);
  const oidcClientId = readSetting(env, 'OIDC_CLIENT_ID');
  if (oidcClientId !== undefined) {
    const redirectUris = splitList(readSetting(env, 'OIDC_REDIRECT_URIS'), /,/).map((uri) => parseRedirectUri('OIDC_REDIRECT_URIS', uri));
    if (redirectUris.length === 0) throw new ConfigError('OIDC_REDIRECT_URIS', 'is required with OIDC_CLIENT_ID (comma-separated)');
    clients.push({
      clientId: oidcClientId,
      clientSecret: readSetting(env, 'OIDC_CLIENT_SECRET'),
      redirectUris,
      connectorIds: allConnectorIds,
      accessTokenTtl: defaults.accessTokenTtl,
      idTokenTtl: defaults.idTokenTtl,
      userinfoSignedResponseAlg: undefined,
    });
  }
  for (const [index, entry] of (file?.clients ?? []).entries()) {
    const where = `CONFIG_FILE /clients/${index}`;
    const connectorIds = entry.connectors ?? allConnectorIds;
    for (const id of connectorIds) {
      if (!allConnectorIds.includes(id)) throw new ConfigError(`${where}/connectors`, `unknown connector "${id}"`);
    }
    clients.push({
      clientId: entry.client_id,
      clientSecret: secretFromFile(where, entry),
      redirectUris: entry.redirect_uris.map((uri) => parseRedirectUri(`${where}/redirect_uris`, uri)),
      connectorIds,
      accessTokenTtl: entry.access_token_ttl ?? defaults.accessTokenTtl,
      idTokenTtl: entry.id_token_ttl ?? defaults.idTokenTtl,
      userinfoSignedResponseAlg: entry.userinfo_signed_response_alg,
    });
  }
  const seen = new Set<string>();
  for (const client of clients) {
    if (seen.has(client.clientId)) throw new ConfigError('CONFIG_FILE /clients', `client_id "${client.clientId}" is defined twice`);
    seen.add(client.clientId);
  }
  return clients;
}

/** Turns the environment (and the optional CONFIG_FILE) into one validated Config, or throws ConfigError. */
export function loadConfig(env: Env): Config {
  const defaults: Defaults = {
    authUrl: parseBaseUrl('KAKAO_AUTH_URL', readSetting(env, 'KAKAO_AUTH_URL') ?? 'https://kauth.kakao.com'),
    apiUrl: parseBaseUrl('KAKAO_API_URL', readSetting(env, 'KAKAO_API_URL') ?? 'https://kapi.kakao.com'),
    accessTokenTtl: readInteger(env, 'ACCESS_TOKEN_TTL', 3600, 60, 86400),
    idTokenTtl: readInteger(env, 'ID_TOKEN_TTL', 3600, 60, 86400),
  };
  const configFile = readSetting(env, 'CONFIG_FILE');
  const file = configFile === undefined ? undefined : loadConfigFile(configFile);
  const connectors = connectorsFrom(env, file, defaults);
  if (connectors.length === 0) throw new ConfigError('KAKAO_CLIENT_ID', 'is required (or connectors in CONFIG_FILE): the REST API key of your Kakao app');
  const clients = clientsFrom(env, file, connectors, defaults);
  if (clients.length === 0) throw new ConfigError('OIDC_CLIENT_ID', 'is required (or clients in CONFIG_FILE): the client id your relying party uses');

  const cookieSecret = readSetting(env, 'COOKIE_SECRET');
  if (cookieSecret !== undefined && cookieSecret.length < 32) throw new ConfigError('COOKIE_SECRET', 'must be at least 32 characters');

  return {
    port: readInteger(env, 'PORT', 3000, 0, 65535),
    host: readSetting(env, 'HOST') ?? '0.0.0.0',
    issuer: parseIssuer(readSetting(env, 'PUBLIC_URL')),
    logLevel: readChoice(env, 'LOG_LEVEL', 'info', logLevels),
    dataDir: readSetting(env, 'DATA_DIR') ?? './data',
    signingAlg: readChoice(env, 'SIGNING_ALG', 'RS256', signingAlgs),
    cookieSecret,
    codeTtl: readInteger(env, 'CODE_TTL', maxCodeTtl, 1, maxCodeTtl),
    loginTtl: readInteger(env, 'LOGIN_TTL', 600, 30, 3600),
    upstreamTimeoutMs: readInteger(env, 'KAKAO_TIMEOUT_MS', 10000, 100, 10000),
    redisUrl: readRedisUrl(env),
    trustProxy: readTrustProxy(env),
    metricsPort: readSetting(env, 'METRICS_PORT') === undefined ? undefined : readInteger(env, 'METRICS_PORT', 0, 1, 65535),
    setupPage: readBoolean(env, 'SETUP_PAGE', true),
    keyRotationDays: readSetting(env, 'KEY_ROTATION_DAYS') === undefined ? undefined : readInteger(env, 'KEY_ROTATION_DAYS', 0, 1, 3650),
    rateLimits: {
      authorize: readInteger(env, 'RATE_LIMIT_AUTHORIZE', 120, 0, 1_000_000),
      callback: readInteger(env, 'RATE_LIMIT_CALLBACK', 120, 0, 1_000_000),
      token: readInteger(env, 'RATE_LIMIT_TOKEN', 600, 0, 1_000_000),
    },
    memoryStoreMaxEntries: readInteger(env, 'MEMORY_STORE_MAX_ENTRIES', defaultMaxEntries, 1000, 10_000_000),
    connectors,
    clients,
  };
}
