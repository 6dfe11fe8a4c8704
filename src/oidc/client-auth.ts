import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { ClientConfig } from '../config.js';
import { InvalidClient, InvalidRequest } from '../errors.js';
import { safeEqual } from './secrets.js';

export const tokenEndpointAuthMethods = ['client_secret_post', 'client_secret_basic', 'client_secret_jwt', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof tokenEndpointAuthMethods)[number];

const jwtBearerAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const assertionAlgorithms = ['HS256', 'HS384', 'HS512'];
/** A client assertion may not live longer than this (its jti is remembered until it expires). */
const maxAssertionLifetimeSeconds = 3600;

export interface ClientCredentials {
  authorization: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  clientAssertion: string | undefined;
  clientAssertionType: string | undefined;
}

export interface ClientAuthContext {
  clients: ReadonlyMap<string, ClientConfig>;
  /** The audiences a client assertion may name: the token endpoint URL and the issuer. */
  audiences: string[];
  /** false when this jti was already used by this client. */
  rememberAssertion(clientId: string, jti: string, ttlSeconds: number): Promise<boolean>;
}

export interface AuthenticatedClient {
  client: ClientConfig;
  method: TokenEndpointAuthMethod;
}

/**
 * Authenticates the client at the token endpoint with exactly one method.
 * @see RFC 6749 §2.3 (client_secret_basic, client_secret_post), OIDC Core §9 (client_secret_jwt),
 * RFC 7523 §3 (assertion checks)
 */
export async function authenticateClient(credentials: ClientCredentials, context: ClientAuthContext): Promise<AuthenticatedClient> {
  const basic = parseBasic(credentials.authorization);
  const used = [basic !== undefined, credentials.clientSecret !== undefined, credentials.clientAssertion !== undefined].filter(Boolean);
  if (used.length > 1) throw new InvalidRequest('use exactly one client authentication method');

  if (basic !== undefined) {
    if (credentials.clientId !== undefined && credentials.clientId !== basic.clientId) {
      throw new InvalidRequest('client_id in the body differs from the Authorization header');
    }
    const client = confidentialClient(context, basic.clientId);
    // RFC 6749 §2.3.1 form-encodes both parts; some clients (Logto's) send them raw. Accept either form.
    if (!safeEqual(basic.secret, client.clientSecret) && !safeEqual(basic.rawSecret, client.clientSecret)) {
      throw new InvalidClient('client authentication failed');
    }
    return { client: client.config, method: 'client_secret_basic' };
  }

  if (credentials.clientAssertion !== undefined) {
    return { client: await verifyClientAssertion(credentials, context), method: 'client_secret_jwt' };
  }

  if (credentials.clientId === undefined) throw new InvalidClient('client authentication is required');
  if (credentials.clientSecret !== undefined) {
    const client = confidentialClient(context, credentials.clientId);
    if (!safeEqual(credentials.clientSecret, client.clientSecret)) throw new InvalidClient('client authentication failed');
    return { client: client.config, method: 'client_secret_post' };
  }
  const client = context.clients.get(credentials.clientId);
  if (client === undefined) throw new InvalidClient('unknown client');
  if (client.clientSecret !== undefined) throw new InvalidClient('this client must authenticate with its secret');
  return { client, method: 'none' };
}

interface ConfidentialClient {
  config: ClientConfig;
  clientSecret: string;
}

function confidentialClient(context: ClientAuthContext, clientId: string): ConfidentialClient {
  const config = context.clients.get(clientId);
  if (config?.clientSecret === undefined) throw new InvalidClient(config === undefined ? 'unknown client' : 'this client has no secret');
  return { config, clientSecret: config.clientSecret };
}

interface BasicCredentials {
  clientId: string;
  secret: string;
  rawSecret: string;
}

function parseBasic(authorization: string | undefined): BasicCredentials | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(authorization);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClient('malformed Basic credentials');
  const rawId = decoded.slice(0, colon);
  const rawSecret = decoded.slice(colon + 1);
  return { clientId: formDecode(rawId), secret: formDecode(rawSecret), rawSecret };
}

/** @see RFC 6749 Appendix B; a value that is not valid form encoding was sent raw, and is kept as is. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

async function verifyClientAssertion(credentials: ClientCredentials, context: ClientAuthContext): Promise<ClientConfig> {
  if (credentials.clientAssertionType !== jwtBearerAssertionType) {
    throw new InvalidRequest(`client_assertion_type must be ${jwtBearerAssertionType}`);
  }
  const assertion = credentials.clientAssertion ?? '';
  let clientId: string | undefined;
  try {
    clientId = decodeJwt(assertion).sub;
  } catch {
    throw new InvalidClient('client_assertion is not a JWT');
  }
  if (clientId === undefined) throw new InvalidClient('client_assertion has no sub');
  if (credentials.clientId !== undefined && credentials.clientId !== clientId) {
    throw new InvalidRequest('client_id differs from the client_assertion subject');
  }
  const client = confidentialClient(context, clientId);
  let payload;
  try {
    ({ payload } = await jwtVerify(assertion, new TextEncoder().encode(client.clientSecret), {
      algorithms: assertionAlgorithms,
      issuer: clientId,
      subject: clientId,
      audience: context.audiences,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: 30,
    }));
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) throw new InvalidClient(`client_assertion rejected: ${error.message}`);
    throw error;
  }
  const remaining = (payload.exp ?? 0) - Math.floor(Date.now() / 1000);
  if (remaining > maxAssertionLifetimeSeconds) throw new InvalidClient('client_assertion expires too far in the future');
  if (!(await context.rememberAssertion(clientId, payload.jti ?? '', Math.max(remaining, 0) + 60))) {
    throw new InvalidClient('client_assertion was already used');
  }
  return client.config;
}
