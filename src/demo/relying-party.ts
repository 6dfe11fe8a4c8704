/**
 * A tiny relying party for `npm run demo`: one page with a "Sign in with Kakao (simulated)"
 * button that runs a real authorization code flow against the bridge (state, nonce, PKCE S256,
 * client_secret_basic), verifies the id_token against the bridge's JWKS, calls /userinfo, and
 * shows what came back. It is written the way a careful client would be, with no OIDC library,
 * so each step is visible in the code. Demo only: state lives in memory, nothing is persisted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { listen } from './listen.js';

export interface DemoRelyingPartyOptions {
  /** The bridge's issuer (PUBLIC_URL without a trailing slash); discovery is read from it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 'openid profile email'. */
  scope?: string;
}

export interface DemoRelyingParty {
  /** e.g. http://127.0.0.1:3001 (no trailing slash): the page to open. */
  readonly url: string;
  /** `${url}/callback`: register it as the client's redirect URI. */
  readonly redirectUri: string;
  close(): Promise<void>;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  userinfo_endpoint: string;
  jwks_uri: string;
}

interface PendingLogin {
  state: string;
  nonce: string;
  codeVerifier: string;
  expiresAt: number;
}

/** Something went wrong in the flow: shown on the page with a title and details. */
class FlowError extends Error {
  constructor(
    readonly title: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'FlowError';
  }
}

const sessionCookie = 'demo_rp_session';
const loginLifetimeMs = 10 * 60_000;
const maxPendingLogins = 1000;
const fetchTimeoutMs = 10_000;

class DemoRelyingPartyServer {
  private readonly pending = new Map<string, PendingLogin>();
  private discovery: Promise<{ document: Discovery; jwks: JWTVerifyGetKey }> | undefined;

  constructor(
    private readonly options: Required<Pick<DemoRelyingPartyOptions, 'issuer' | 'clientId' | 'clientSecret' | 'scope'>>,
    private readonly redirectUri: () => string,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(String(req.url), 'http://relying-party.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendHtml(res, 405, page('Method not allowed', '<p>Only GET is used here.</p>'), { allow: 'GET, HEAD' });
      return;
    }
    switch (url.pathname) {
      case '/':
        sendHtml(res, 200, this.homePage());
        return;
      case '/login':
        await this.login(req, res);
        return;
      case '/callback':
        await this.callback(req, res, url.searchParams);
        return;
      default:
        sendHtml(res, 404, page('Not found', `<p>Nothing here. <a href="/">Back to the demo</a></p>`));
    }
  }

  private homePage(): string {
    const { issuer, clientId, scope } = this.options;
    return page(
      'Demo relying party',
      `<h1>Demo relying party</h1>
<p>This page is an ordinary OpenID Connect client of the bridge at <code>${escapeHtml(issuer)}</code>
(client <code>${escapeHtml(clientId)}</code>, scope <code>${escapeHtml(scope)}</code>).</p>
<p><a class="button" href="/login">Sign in with Kakao (simulated)</a></p>
<p class="note">The button starts an authorization code flow with state, nonce and PKCE (S256). The bridge sends you
to a <strong>simulated</strong> Kakao consent page; after you agree, this page exchanges the code with
client_secret_basic, verifies the id_token against the bridge's JWKS and calls /userinfo.</p>`,
    );
  }

  /** Starts a sign-in: fresh state, nonce and PKCE verifier, kept here under a session cookie. */
  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let discovery: Discovery;
    try {
      discovery = (await this.loadDiscovery()).document;
    } catch (error) {
      this.sendError(res, error);
      return;
    }
    this.prune();
    const session = readCookie(req, sessionCookie) ?? randomToken();
    const login: PendingLogin = { state: randomToken(), nonce: randomToken(), codeVerifier: randomToken(), expiresAt: Date.now() + loginLifetimeMs };
    this.pending.delete(session);
    this.pending.set(session, login);
    const target = new URL(discovery.authorization_endpoint);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: this.options.clientId,
      redirect_uri: this.redirectUri(),
      scope: this.options.scope,
      state: login.state,
      nonce: login.nonce,
      code_challenge: createHash('sha256').update(login.codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
    res.writeHead(302, {
      location: target.href,
      'set-cookie': `${sessionCookie}=${session}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${loginLifetimeMs / 1000}`,
      'cache-control': 'no-store',
      'content-length': 0,
    });
    res.end();
  }

  /** The bridge's redirect back: check it, redeem the code, verify the id_token, call /userinfo. */
  private async callback(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<void> {
    try {
      const result = await this.completeLogin(req, query);
      sendHtml(res, 200, resultPage(result));
    } catch (error) {
      this.sendError(res, error);
    }
  }

  private async completeLogin(req: IncomingMessage, query: URLSearchParams): Promise<SignInResult> {
    const session = readCookie(req, sessionCookie);
    const login = session === undefined ? undefined : this.pending.get(session);
    if (session === undefined || login === undefined || login.expiresAt <= Date.now()) {
      throw new FlowError('No sign-in in progress', 'This browser has no pending sign-in (the cookie is missing or the sign-in expired). Start again.');
    }
    // Single use: whatever happens next, this state cannot be replayed.
    this.pending.delete(session);
    if (query.get('state') !== login.state) {
      throw new FlowError('State mismatch', 'The state in the response is not the one this browser sent: the response is rejected (CSRF protection).');
    }
    const { document, jwks } = await this.loadDiscovery();
    // Mix-up defence: the response must name the issuer it was sent to. @see RFC 9207 §2.4
    if (query.get('iss') !== document.issuer) {
      throw new FlowError('Issuer mismatch', `The response's iss parameter is ${JSON.stringify(query.get('iss'))}, expected ${JSON.stringify(document.issuer)}.`);
    }
    const error = query.get('error');
    if (error !== null) {
      throw new FlowError('Sign-in did not complete', 'The provider answered with an error.', {
        error,
        ...(query.has('error_description') ? { error_description: query.get('error_description') } : {}),
      });
    }
    const code = query.get('code');
    if (code === null || code === '') throw new FlowError('No code', 'The response has neither a code nor an error.');

    const tokens = await this.redeemCode(document, code, login.codeVerifier);
    const idToken = tokens.id_token;
    if (typeof idToken !== 'string') throw new FlowError('No id_token', 'The token response has no id_token.', redactTokens(tokens));
    const accessToken = tokens.access_token;
    if (typeof accessToken !== 'string') throw new FlowError('No access_token', 'The token response has no access_token.', redactTokens(tokens));
    if (typeof tokens.token_type !== 'string' || tokens.token_type.toLowerCase() !== 'bearer') {
      throw new FlowError('Unexpected token_type', 'The token response is not a Bearer token.', redactTokens(tokens));
    }

    let verified;
    try {
      verified = await jwtVerify(idToken, jwks, { issuer: document.issuer, audience: this.options.clientId, algorithms: ['RS256', 'ES256'] });
    } catch (cause) {
      throw new FlowError('id_token rejected', `The id_token failed verification: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
    if (verified.payload.nonce !== login.nonce) {
      throw new FlowError('Nonce mismatch', 'The id_token does not carry the nonce this browser sent: it is rejected (replay protection).');
    }
    const userinfo = await this.fetchUserinfo(document, accessToken);
    if (userinfo.sub !== verified.payload.sub) {
      throw new FlowError('UserInfo subject mismatch', 'The userinfo sub differs from the id_token sub. @see OIDC Core §5.3.2', userinfo);
    }
    return {
      idTokenHeader: decodeProtectedHeader(idToken),
      idTokenClaims: verified.payload,
      userinfo,
      tokenResponse: redactTokens(tokens),
    };
  }

  /** @see RFC 6749 §4.1.3, §2.3.1 (client_secret_basic: form-encoded id and secret, then base64) */
  private async redeemCode(document: Discovery, code: string, codeVerifier: string): Promise<Record<string, unknown>> {
    const { clientId, clientSecret } = this.options;
    const basic = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri(), code_verifier: codeVerifier });
    const response = await request(document.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
    });
    const json = await readJson(response, 'token endpoint');
    if (!response.ok) throw new FlowError('Token request failed', `The token endpoint answered ${response.status}.`, json);
    return json;
  }

  private async fetchUserinfo(document: Discovery, accessToken: string): Promise<Record<string, unknown>> {
    const response = await request(document.userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
    const json = await readJson(response, 'userinfo endpoint');
    if (!response.ok) throw new FlowError('UserInfo request failed', `The userinfo endpoint answered ${response.status}.`, json);
    return json;
  }

  /** Discovery and the JWKS client, fetched once (again after a failure). */
  private loadDiscovery(): Promise<{ document: Discovery; jwks: JWTVerifyGetKey }> {
    this.discovery ??= this.fetchDiscovery();
    this.discovery.catch(() => {
      this.discovery = undefined;
    });
    return this.discovery;
  }

  private async fetchDiscovery(): Promise<{ document: Discovery; jwks: JWTVerifyGetKey }> {
    const { issuer } = this.options;
    const where = `${issuer}/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await request(where);
    } catch (cause) {
      throw new FlowError('Provider unreachable', `Cannot read ${where}: ${cause instanceof Error ? cause.message : String(cause)}`);
    }
    const json = await readJson(response, 'discovery document');
    if (!response.ok) throw new FlowError('Discovery failed', `${where} answered ${response.status}.`, json);
    // @see OIDC Discovery §4.3: the document's issuer must be the one it was fetched for.
    if (json.issuer !== issuer) throw new FlowError('Discovery failed', `The discovery document names issuer ${JSON.stringify(json.issuer)}, expected ${JSON.stringify(issuer)}.`);
    const fields = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri'] as const;
    for (const field of fields) {
      if (typeof json[field] !== 'string') throw new FlowError('Discovery failed', `The discovery document has no ${field}.`, json);
    }
    const document = json as unknown as Discovery;
    return { document, jwks: createRemoteJWKSet(new URL(document.jwks_uri)) };
  }

  private prune(): void {
    const now = Date.now();
    for (const [session, login] of this.pending) {
      if (login.expiresAt <= now) this.pending.delete(session);
    }
    // Maps iterate in insertion order: the oldest pending logins go first.
    for (const session of this.pending.keys()) {
      if (this.pending.size < maxPendingLogins) break;
      this.pending.delete(session);
    }
  }

  private sendError(res: ServerResponse, error: unknown): void {
    if (error instanceof FlowError) {
      sendHtml(res, 400, errorPage(error.title, error.message, error.details));
      return;
    }
    sendHtml(res, 500, errorPage('Unexpected error', error instanceof Error ? error.message : String(error)));
  }
}

interface SignInResult {
  idTokenHeader: Record<string, unknown>;
  idTokenClaims: Record<string, unknown>;
  userinfo: Record<string, unknown>;
  tokenResponse: Record<string, unknown>;
}

export async function startDemoRelyingParty(options: DemoRelyingPartyOptions): Promise<DemoRelyingParty> {
  const server: Server = createServer();
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const redirectUri = `${url}/callback`;
  const rp = new DemoRelyingPartyServer(
    {
      issuer: options.issuer.replace(/\/+$/, ''),
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      scope: options.scope ?? 'openid profile email',
    },
    () => redirectUri,
  );
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    rp.handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendHtml(res, 500, errorPage('Unexpected error', error instanceof Error ? error.message : String(error)));
    });
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    redirectUri,
    close() {
      closing ??= new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---- helpers ------------------------------------------------------------------------------------

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks for the Basic credentials. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0 && part.slice(0, equals).trim() === name) {
      const value = part.slice(equals + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

function request(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(fetchTimeoutMs) });
}

async function readJson(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FlowError('Unexpected response', `The ${what} answered ${response.status} with something that is not JSON.`, text.slice(0, 2000));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FlowError('Unexpected response', `The ${what} answered ${response.status} with JSON that is not an object.`, value);
  }
  return value as Record<string, unknown>;
}

/** The token response as shown on the page: the bearer tokens themselves are shortened. */
function redactTokens(tokens: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = { ...tokens };
  for (const name of ['access_token', 'refresh_token', 'id_token']) {
    const value = shown[name];
    if (typeof value === 'string') shown[name] = `${value.slice(0, 12)}… (${value.length} characters)`;
  }
  return shown;
}

// ---- pages --------------------------------------------------------------------------------------

function resultPage(result: SignInResult): string {
  const { idTokenClaims: claims } = result;
  const who = [claims.name, claims.email].filter((value): value is string => typeof value === 'string');
  const time = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000).toISOString() : 'n/a');
  return page(
    'Signed in',
    `<h1>Signed in ✓</h1>
<p class="ok">Welcome, <strong>${escapeHtml(who.join(' · ') || String(claims.sub))}</strong>.</p>
<ul class="checks">
<li>state matched the one this browser sent</li>
<li>iss in the redirect matched the issuer (RFC 9207)</li>
<li>code redeemed with client_secret_basic and the PKCE code_verifier (S256)</li>
<li>id_token signature verified with the bridge's JWKS (kid <code>${escapeHtml(String(result.idTokenHeader.kid))}</code>, alg <code>${escapeHtml(String(result.idTokenHeader.alg))}</code>)</li>
<li>iss, aud and exp checked; nonce matched (issued ${escapeHtml(time(claims.iat))}, expires ${escapeHtml(time(claims.exp))})</li>
<li>/userinfo called with the access token; its sub matches the id_token's</li>
</ul>
<h2>ID token header</h2>
${jsonBlock('id-token-header', result.idTokenHeader)}
<h2>ID token claims</h2>
${jsonBlock('id-token-claims', claims)}
<h2>UserInfo response</h2>
${jsonBlock('userinfo', result.userinfo)}
<h2>Token response <small>(tokens shortened)</small></h2>
${jsonBlock('token-response', result.tokenResponse)}
<p><a class="button" href="/login">Sign in again</a> <a href="/">Back to the start</a></p>`,
  );
}

function errorPage(title: string, message: string, details?: unknown): string {
  const error = typeof details === 'object' && details !== null ? (details as Record<string, unknown>).error : undefined;
  const headline = typeof error === 'string' ? `<p class="error-code">error = <code id="error">${escapeHtml(error)}</code></p>` : '';
  const hint = error === 'access_denied' ? '<p>You pressed <strong>Cancel</strong> on the (simulated) Kakao consent page, so no one was signed in.</p>' : '';
  return page(
    title,
    `<h1 class="error">${escapeHtml(title)}</h1>
<p>${escapeHtml(message)}</p>
${headline}${hint}
${details === undefined ? '' : `<h2>Details</h2>\n${jsonBlock('error-details', details)}`}
<p><a class="button" href="/login">Try again</a> <a href="/">Back to the start</a></p>`,
  );
}

function jsonBlock(id: string, value: unknown): string {
  return `<pre id="${id}">${escapeHtml(typeof value === 'string' ? value : JSON.stringify(value, null, 2))}</pre>`;
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · kakao-oidc-bridge demo</title>
<style>body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;color:#222}
.banner{background:#b00020;color:#fff;padding:.5rem 1rem;font-weight:600;text-align:center}
main{max-width:48rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:12px}
h1{font-size:1.4rem}h2{font-size:1.05rem;margin-top:1.5rem}
pre{background:#1e1e2e;color:#e0e0e0;padding:1rem;border-radius:8px;overflow:auto;font-size:.85rem}
a.button{display:inline-block;background:#fee500;color:#191919;text-decoration:none;padding:.7rem 1.2rem;border-radius:8px;font-weight:600}
.note{color:#666;font-size:.85rem}.checks li::marker{content:"✓ ";color:#1a7f37}.error{color:#b00020}.ok{font-size:1.1rem}</style></head>
<body><div class="banner">DEMO MODE: simulated Kakao login. Not for production.</div><main>${body}</main></body></html>
`;
}

const pageHeaders = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function sendHtml(res: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...pageHeaders, ...headers, 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
