import { createHash, randomBytes } from 'node:crypto';
import { Browser } from './browser.js';
import { confidential, type TestBridge } from './bridge.js';

export interface AuthorizeInput {
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  extra?: Record<string, string>;
}

/** The query of an authorization request: the confidential client's, with `input` over it. */
export function authorizeQuery(input: AuthorizeInput = {}): URLSearchParams {
  const params: Record<string, string | undefined> = {
    client_id: input.clientId ?? confidential.clientId,
    redirect_uri: input.redirectUri ?? confidential.redirectUri,
    response_type: 'code',
    scope: input.scope ?? 'openid profile email',
    state: input.state ?? 'rp-state-123',
    nonce: input.nonce ?? 'rp-nonce-456',
    ...(input.codeChallenge === undefined ? {} : { code_challenge: input.codeChallenge, code_challenge_method: 'S256' }),
    ...input.extra,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  return query;
}

export function authorizeUrl(bridge: TestBridge, input: AuthorizeInput = {}): string {
  const url = new URL(`${bridge.issuer}/authorize`);
  url.search = authorizeQuery(input).toString();
  return url.href;
}

/** Runs the browser leg: /authorize → fake Kakao → /callback → back at the relying party. */
export async function signIn(bridge: TestBridge, input: AuthorizeInput = {}, browser = new Browser()): Promise<URL> {
  return browser.follow(authorizeUrl(bridge, input), input.redirectUri ?? confidential.redirectUri);
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** POSTs a form to /token. */
export function postToken(bridge: TestBridge, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${bridge.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
}

/** The code-for-tokens request the confidential client makes (client_secret_post). */
export function redeemCode(bridge: TestBridge, code: string, overrides: Record<string, string> = {}): Promise<Response> {
  return postToken(bridge, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: confidential.redirectUri,
    client_id: confidential.clientId,
    client_secret: confidential.clientSecret,
    ...overrides,
  });
}

export interface TokenSet {
  access_token: string;
  id_token?: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

/** A whole login for the confidential client; returns the token response body. */
export async function loginForTokens(bridge: TestBridge, input: AuthorizeInput = {}): Promise<TokenSet> {
  const callback = await signIn(bridge, input);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code: ${callback.href}`);
  const response = await redeemCode(bridge, code);
  if (response.status !== 200) throw new Error(`token ${response.status}: ${await response.text()}`);
  return (await response.json()) as TokenSet;
}

export function getUserinfo(bridge: TestBridge, accessToken: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${bridge.issuer}/userinfo`, { headers: { authorization: `Bearer ${accessToken}`, ...headers } });
}
