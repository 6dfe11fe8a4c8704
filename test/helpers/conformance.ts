import { createHash, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import { Browser } from './browser.js';
import { confidential, type TestBridge } from './bridge.js';
import { authorizeUrl, redeemCode, signIn, type AuthorizeInput, type TokenSet } from './flow.js';

/**
 * Helpers for test/conformance: the checks an OpenID conformance "basic OP" / "config OP" plan
 * makes, written once so each case file stays a few lines long.
 */

export interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

/** The browser's first hop: GET /authorize, not followed. */
export function authorize(bridge: TestBridge, input: AuthorizeInput = {}, browser = new Browser()): Promise<Response> {
  return browser.get(authorizeUrl(bridge, input));
}

/** The parameters of an error redirect back to the client; throws when the response is not one. */
export function errorRedirect(response: Response): URLSearchParams {
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) throw new Error(`expected a redirect, got ${response.status}`);
  const params = new URL(location).searchParams;
  if (params.get('error') === null) throw new Error(`expected an error redirect, got ${location}`);
  return params;
}

/** Whether a response sends the browser to Kakao (the login goes on). */
export function goesToKakao(bridge: TestBridge, response: Response): boolean {
  return response.status === 302 && (response.headers.get('location') ?? '').startsWith(`${bridge.kakao.url}/oauth/authorize?`);
}

/** The query of the upstream authorization request the bridge sent the browser to. */
export function kakaoParams(response: Response): URLSearchParams {
  return new URL(response.headers.get('location') ?? 'http://invalid/').searchParams;
}

export async function oauthError(response: Response): Promise<OAuthErrorBody> {
  return (await response.json()) as OAuthErrorBody;
}

/** A code for the confidential client (or the client `input` names). */
export async function freshCode(bridge: TestBridge, input: AuthorizeInput = {}): Promise<string> {
  const callback = await signIn(bridge, input);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code: ${callback.href}`);
  return code;
}

/** Redeems a code for the confidential client with client_secret_post; throws unless 200. */
export async function tokensFor(bridge: TestBridge, code: string, overrides: Record<string, string> = {}): Promise<TokenSet> {
  const response = await redeemCode(bridge, code, overrides);
  if (response.status !== 200) throw new Error(`token ${response.status}: ${await response.text()}`);
  return (await response.json()) as TokenSet;
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** @see RFC 7523 §3, OIDC Core §9 (client_secret_jwt) */
export function clientAssertion(bridge: TestBridge, claims: JWTPayload = {}, secret = confidential.clientSecret, alg = 'HS256'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: confidential.clientId,
    sub: confidential.clientId,
    aud: `${bridge.issuer}/token`,
    jti: randomUUID(),
    iat: now,
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg })
    .sign(new TextEncoder().encode(secret));
}

/** An unsigned JWT (`alg: none`) with these claims. */
export function unsignedJwt(claims: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

export const jwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export async function publishedKeys(bridge: TestBridge): Promise<JWK[]> {
  return ((await (await fetch(`${bridge.issuer}/jwks`)).json()) as { keys: JWK[] }).keys;
}

export async function discovery(bridge: TestBridge): Promise<Record<string, unknown>> {
  return (await (await fetch(`${bridge.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
}

/** at_hash: left half of the SHA-256 of the access token, base64url. @see OIDC Core §3.1.3.6 */
export function expectedAtHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenExpectations {
  clientId?: string;
  nonce?: string | undefined;
  accessToken?: string;
}

/**
 * Verifies an id_token as a relying party must: signature with the JWKS key its kid names, iss,
 * aud, exp, iat, nonce, at_hash. Throws on the first failure; returns the claims.
 * @see OIDC Core §3.1.3.7
 */
export async function verifyIdToken(bridge: TestBridge, idToken: string, expected: IdTokenExpectations = {}): Promise<JWTPayload> {
  const { kid } = decodeProtectedHeader(idToken);
  const keys = await publishedKeys(bridge);
  const key = keys.find((candidate) => candidate.kid === kid);
  if (key === undefined) throw new Error(`no key with kid ${String(kid)} in the JWKS`);
  const { payload } = await jwtVerify(idToken, createLocalJWKSet({ keys: [key] }), {
    issuer: bridge.issuer,
    audience: expected.clientId ?? confidential.clientId,
    requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
  });
  if ('nonce' in expected && payload.nonce !== expected.nonce) throw new Error(`nonce ${String(payload.nonce)} is not ${String(expected.nonce)}`);
  if (expected.accessToken !== undefined && payload.at_hash !== expectedAtHash(expected.accessToken)) throw new Error('at_hash does not match');
  return payload;
}

/** Complete login for the confidential client: the token response and the verified id_token claims. */
export async function verifiedLogin(bridge: TestBridge, input: AuthorizeInput = {}): Promise<{ tokens: TokenSet; claims: JWTPayload }> {
  const nonce = input.nonce ?? `n-${randomUUID()}`;
  const tokens = await tokensFor(bridge, await freshCode(bridge, { ...input, nonce }));
  const claims = await verifyIdToken(bridge, tokens.id_token ?? '', { nonce, accessToken: tokens.access_token });
  return { tokens, claims };
}

export interface RawResponse {
  status: number;
  headers: Map<string, string[]>;
  body: string;
}

/**
 * One HTTP/1.1 request written byte for byte on a socket: repeated header lines and anything
 * else fetch would normalise away.
 */
export function rawRequest(bridge: TestBridge, method: string, path: string, headers: [string, string][] = [], body = ''): Promise<RawResponse> {
  const url = new URL(bridge.issuer);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const lines = [`${method} ${path} HTTP/1.1`, `host: ${url.host}`, 'connection: close', ...headers.map(([name, value]) => `${name}: ${value}`)];
    if (method !== 'GET') lines.push(`content-length: ${String(Buffer.byteLength(body))}`);
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...headerLines] = text.slice(0, split < 0 ? text.length : split).split('\r\n');
      const parsed = new Map<string, string[]>();
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        parsed.set(name, [...(parsed.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers: parsed, body: split < 0 ? '' : text.slice(split + 4) });
    });
  });
}

export const formType: [string, string] = ['content-type', 'application/x-www-form-urlencoded'];
