/**
 * A fake Kakao Login server (kauth.kakao.com and kapi.kakao.com on one loopback port) for the
 * test suite, benchmarks and `npm run demo`. It reproduces the request checks, response shapes
 * and error bodies described in /work/shared/kakao-api.md (cited below as "kakao-api.md §n"),
 * so the bridge runs unchanged against it and against the real Kakao.
 *
 * Not reproduced: the id_token (the bridge does not use it; `openid` only shows up in `scope`),
 * `property_keys` filtering on /v2/user/me, the Kakao Account session, and rate limits (see the
 * 'token-rate-limit' fault instead).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen } from './listen.js';

export interface FakeKakaoApp {
  /** The REST API key. */
  clientId: string;
  /** Set = the console's client secret is activated (kakao-api.md §5 pitfall 3). */
  clientSecret?: string;
  /** Registered redirect URIs; matched exactly (kakao-api.md §1, KOE006). */
  redirectUris: string[];
  /** Consent items configured in the console; a requested scope outside it → KOE205 page. undefined = allow any. */
  allowedScopes?: string[];
  /** Shown on the interactive consent page (defaults to the client id). */
  name?: string;
}

export interface FakeKakaoUser {
  /** Decimal int64 string, may exceed 2^53; written into JSON as a number literal with every digit. */
  id: string;
  nickname?: string;
  profileImageUrl?: string;
  thumbnailImageUrl?: string;
  isDefaultImage?: boolean;
  /** undefined = the user did not consent: email fields absent, `email_needs_agreement: true`. */
  email?: string;
  isEmailValid?: boolean;
  isEmailVerified?: boolean;
  /** Kakao format '+82 10-1234-5678'. */
  phoneNumber?: string;
  gender?: 'female' | 'male';
  birthyear?: string;
  /** MMDD */
  birthday?: string;
  birthdayType?: 'SOLAR' | 'LUNAR';
  name?: string;
}

export type FakeKakaoFault =
  | 'cancel'
  | 'authorize-error'
  | 'token-500'
  | 'token-hang'
  | 'token-truncated'
  | 'token-html'
  | 'token-rate-limit'
  | 'token-invalid-client'
  | 'me-401'
  | 'me-500'
  | 'me-hang'
  | 'me-truncated'
  | 'me-quota'
  | 'me-missing-id'
  | 'me-string-id'
  | 'me-huge'
  | 'me-redirect';

export interface FakeKakaoRequestLog {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string>;
  /** Present when the request had a form (application/x-www-form-urlencoded) content type. */
  form?: Record<string, string>;
}

export interface FakeKakao {
  /** e.g. http://127.0.0.1:PORT (no trailing slash); both KAKAO_AUTH_URL and KAKAO_API_URL. */
  readonly url: string;
  /** Every request received, in order; the oldest are dropped beyond 1000 entries. */
  readonly requests: FakeKakaoRequestLog[];
  /** The user who "logs in" at /oauth/authorize (mutable between tests). */
  user: FakeKakaoUser;
  /** Active faults (mutable). */
  faults: Set<FakeKakaoFault>;
  /** Registers an app, replacing one with the same client id. */
  addApp(app: FakeKakaoApp): void;
  /** Closes the server and any hanging sockets immediately. */
  close(): Promise<void>;
}

export interface FakeKakaoOptions {
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  apps?: FakeKakaoApp[];
  user?: FakeKakaoUser;
  /** Demo: show a consent page at /oauth/authorize (Agree / Cancel) instead of redirecting at once. */
  interactive?: boolean;
}

/** A plausible Korean test user: nickname, profile image and a verified email. */
export const defaultFakeUser: FakeKakaoUser = Object.freeze({
  id: '4218530917',
  nickname: '김카카오',
  profileImageUrl: 'https://k.kakaocdn.net/dn/bXyZ12/btsFake01/demo/img_640x640.jpg',
  thumbnailImageUrl: 'https://k.kakaocdn.net/dn/bXyZ12/btsFake01/demo/img_110x110.jpg',
  isDefaultImage: false,
  email: 'kakao.kim@kakao.com',
  isEmailValid: true,
  isEmailVerified: true,
});

const maxLogEntries = 1000;
/** Outstanding codes and tokens kept; the oldest are forgotten first (keeps benchmarks flat). */
const maxGrants = 4096;
const maxBodyBytes = 1 << 20;
/** Kakao does not publish the code TTL; third-party notes say 10 minutes. @see kakao-api.md §2 */
const codeLifetimeMs = 10 * 60_000;
/** REST API key lifetimes. @see kakao-api.md §2 (Success response), §5 */
const accessTokenLifetimeS = 21_599;
const refreshTokenLifetimeS = 5_183_999;
const hugeBodyChars = 5 * 1024 * 1024;
const int64Pattern = /^-?(?:0|[1-9]\d{0,18})$/;

const jsonType = 'application/json;charset=UTF-8';
const htmlType = 'text/html;charset=utf-8';

interface AuthorizeRequest {
  app: FakeKakaoApp;
  redirectUri: string;
  state: string | undefined;
  scopes: string[];
  codeChallenge: string | undefined;
  nonce: string | undefined;
  params: Record<string, string>;
}

type AuthorizeCheck =
  | { kind: 'page'; koe: string; detail: string }
  | { kind: 'redirect-error'; request: AuthorizeRequest; error: string; description: string }
  | { kind: 'ok'; request: AuthorizeRequest };

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | undefined;
  /** Kept for completeness: it would go into the id_token, which the fake does not issue. */
  nonce: string | undefined;
  user: FakeKakaoUser;
  expiresAt: number;
}

interface TokenGrant {
  clientId: string;
  scopes: string[];
  user: FakeKakaoUser;
  expiresAt: number;
}

class FakeKakaoServer implements FakeKakao {
  readonly requests: FakeKakaoRequestLog[] = [];
  faults = new Set<FakeKakaoFault>();
  private readonly apps = new Map<string, FakeKakaoApp>();
  private readonly codes = new Map<string, CodeGrant>();
  private readonly accessTokens = new Map<string, TokenGrant>();
  private readonly refreshTokens = new Map<string, TokenGrant>();
  /** Kakao's `connected_at` has second precision and a Z suffix. */
  private readonly connectedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  private closing: Promise<void> | undefined;

  constructor(
    private readonly server: Server,
    readonly url: string,
    public user: FakeKakaoUser,
    private readonly interactive: boolean,
  ) {}

  addApp(app: FakeKakaoApp): void {
    this.apps.set(app.clientId, { ...app, redirectUris: [...app.redirectUris] });
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(String(req.url), this.url);
    const body = await readBody(req);
    const method = String(req.method);
    const form = isForm(req) && body !== undefined ? firstValues(new URLSearchParams(body)) : undefined;
    const query = firstValues(url.searchParams);
    this.log({ method, path: url.pathname, headers: { ...req.headers }, query, ...(form === undefined ? {} : { form }) });
    if (body === undefined) {
      sendJson(res, 413, { error: 'invalid_request', error_description: 'request body too large' });
      return;
    }
    switch (url.pathname) {
      case '/oauth/authorize':
        if (method === 'GET') this.authorize(res, query);
        else if (method === 'POST') this.consent(res, form);
        else methodNotAllowed(res, 'GET, POST');
        return;
      case '/oauth/token':
        if (method === 'POST') this.token(res, form);
        else methodNotAllowed(res, 'POST');
        return;
      case '/v2/user/me':
        if (method === 'GET' || method === 'POST') this.userMe(req, res);
        else methodNotAllowed(res, 'GET, POST');
        return;
      case '/login':
        // Where the 'me-redirect' fault points: a Kakao Account login page, as a lost session would.
        sendHtml(res, 200, page('Kakao Account', '<h1>Kakao Account</h1><p>Log in to continue.</p>'));
        return;
      default:
        sendJson(res, 404, { msg: `no such API: ${url.pathname}`, code: -2 });
    }
  }

  private log(entry: FakeKakaoRequestLog): void {
    this.requests.push(entry);
    if (this.requests.length > maxLogEntries) this.requests.splice(0, this.requests.length - maxLogEntries);
  }

  // ---- GET|POST /oauth/authorize --------------------------------------------------------------

  /** @see kakao-api.md §1 */
  private authorize(res: ServerResponse, params: Record<string, string>): void {
    const check = this.checkAuthorize(params);
    if (check.kind !== 'ok' || !this.interactive) {
      this.finishAuthorize(res, check);
      return;
    }
    sendHtml(res, 200, this.consentPage(check.request));
  }

  /** The consent page's form: the original parameters plus `decision`. */
  private consent(res: ServerResponse, form: Record<string, string> | undefined): void {
    const fields: Record<string, string> = form ?? {};
    const { decision, ...params } = fields;
    if (decision !== 'agree' && decision !== 'cancel') {
      sendHtml(res, 400, errorPage('KOE001', 'The consent form was not submitted correctly.'));
      return;
    }
    const check = this.checkAuthorize(params);
    if (check.kind === 'ok' && decision === 'cancel') {
      redirect(res, withParams(check.request.redirectUri, userDenied(check.request.state)));
      return;
    }
    this.finishAuthorize(res, check);
  }

  private checkAuthorize(params: Record<string, string>): AuthorizeCheck {
    const { client_id: clientId = '', redirect_uri: redirectUri = '', response_type: responseType } = params;
    const app = this.apps.get(clientId);
    // Errors before a trusted redirect URI is known are shown on Kakao's page, never redirected. @see kakao-api.md §1
    if (app === undefined) return { kind: 'page', koe: 'KOE101', detail: `Invalid app key (client_id=${clientId}).` };
    if (!app.redirectUris.includes(redirectUri)) {
      return { kind: 'page', koe: 'KOE006', detail: `redirect_uri is not registered: ${redirectUri}` };
    }
    if (responseType === 'token') return { kind: 'page', koe: 'KOE202', detail: 'The implicit grant is not supported.' };
    if (responseType !== 'code') return { kind: 'page', koe: 'KOE201', detail: 'Unsupported response type; use response_type=code.' };
    // Kakao's SDK joins scopes with spaces; older docs used commas, so both are accepted. @see kakao-api.md §1
    const scopes = [...new Set((params.scope ?? '').split(/[\s,]+/).filter((scope) => scope !== ''))];
    const { allowedScopes } = app;
    const refused = allowedScopes === undefined ? [] : scopes.filter((scope) => !allowedScopes.includes(scope));
    if (refused.length > 0) {
      // A scope that is not a configured consent item. @see kakao-api.md §1 (KOE205), §5 pitfall 6
      return { kind: 'page', koe: 'KOE205', detail: `Consent items not configured for this app: ${refused.join(', ')}` };
    }
    const { code_challenge: codeChallenge, code_challenge_method: method } = params;
    const request: AuthorizeRequest = { app, redirectUri, state: params.state, scopes, codeChallenge, nonce: params.nonce, params };
    // PKCE: S256 only. @see kakao-api.md §0 (code_challenge_methods_supported), §1
    if ((codeChallenge !== undefined || method !== undefined) && (method !== 'S256' || codeChallenge === undefined || codeChallenge === '')) {
      return { kind: 'redirect-error', request, error: 'invalid_request', description: 'code_challenge with code_challenge_method=S256 is required for PKCE' };
    }
    return { kind: 'ok', request };
  }

  private finishAuthorize(res: ServerResponse, check: AuthorizeCheck): void {
    if (check.kind === 'page') {
      sendHtml(res, 400, errorPage(check.koe, check.detail));
      return;
    }
    const { request } = check;
    if (check.kind === 'redirect-error') {
      redirect(res, withParams(request.redirectUri, [['error', check.error], ['error_description', check.description], ['state', request.state]]));
      return;
    }
    if (this.faults.has('cancel')) {
      redirect(res, withParams(request.redirectUri, userDenied(request.state)));
      return;
    }
    if (this.faults.has('authorize-error')) {
      const description = 'Kakao is temporarily unable to handle the request';
      redirect(res, withParams(request.redirectUri, [['error', 'server_error'], ['error_description', description], ['state', request.state]]));
      return;
    }
    const code = randomToken(64);
    remember(this.codes, code, {
      clientId: request.app.clientId,
      redirectUri: request.redirectUri,
      scopes: request.scopes,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      user: { ...this.user },
      expiresAt: Date.now() + codeLifetimeMs,
    });
    redirect(res, withParams(request.redirectUri, [['code', code], ['state', request.state]]));
  }

  private consentPage(request: AuthorizeRequest): string {
    const hidden = Object.entries(request.params)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('');
    const items =
      request.scopes.length === 0
        ? '<li>the consent items configured for the app</li>'
        : request.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('');
    const who = this.user.nickname ?? `user ${this.user.id}`;
    return page(
      'Kakao Login (simulated)',
      `<h1>Kakao Login <small>(simulated)</small></h1>
<p><strong>${escapeHtml(request.app.name ?? request.app.clientId)}</strong> asks to sign you in as <strong>${escapeHtml(who)}</strong>.</p>
<p>Requested information:</p><ul>${items}</ul>
<form method="post" action="/oauth/authorize">${hidden}
<button name="decision" value="agree" class="agree">Agree and continue</button>
<button name="decision" value="cancel">Cancel</button>
</form>
<p class="note">This is a fake Kakao server for demos and tests. Nothing leaves this machine.</p>`,
    );
  }

  // ---- POST /oauth/token ----------------------------------------------------------------------

  /** @see kakao-api.md §2 */
  private token(res: ServerResponse, form: Record<string, string> | undefined): void {
    if (this.tokenFault(res)) return;
    if (form === undefined) {
      // Kakao reads the parameters from a form body only. @see kakao-api.md §2 (Content-Type)
      sendKauthError(res, 400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded', 'KOE001');
      return;
    }
    const { grant_type: grantType, client_id: clientId = '', client_secret: clientSecret } = form;
    if (grantType === undefined) {
      sendKauthError(res, 400, 'invalid_request', 'grant_type is missing', 'KOE001');
      return;
    }
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      sendKauthError(res, 400, 'unsupported_grant_type', `unsupported grant_type: ${grantType}`, 'KOE001');
      return;
    }
    const app = this.apps.get(clientId);
    if (app === undefined) {
      sendKauthError(res, 401, 'invalid_client', `Not exist client_id [${clientId}]`, 'KOE101');
      return;
    }
    // Secret missing or wrong while activated, or sent while not activated. @see kakao-api.md §2, §5 pitfall 3
    if (clientSecret !== app.clientSecret) {
      sendBadClientCredentials(res);
      return;
    }
    if (grantType === 'refresh_token') this.refresh(res, app, form.refresh_token);
    else this.exchangeCode(res, app, form);
  }

  private tokenFault(res: ServerResponse): boolean {
    const { faults } = this;
    if (faults.has('token-hang')) return true;
    if (faults.has('token-500')) {
      sendHtml(res, 500, page('500 Internal Server Error', '<h1>500 Internal Server Error</h1>'));
    } else if (faults.has('token-truncated')) {
      sendTruncated(res, JSON.stringify(tokenBody(randomToken(40), randomToken(40), 'profile_nickname')));
    } else if (faults.has('token-html')) {
      sendHtml(res, 200, page('Kakao', '<h1>Kakao</h1><p>The service is being inspected. Please try again later.</p>'));
    } else if (faults.has('token-rate-limit')) {
      // Per-user token quota (20 per 10 min). @see kakao-api.md §5 (Rate limits)
      sendKauthError(res, 400, 'invalid_request', 'token request rate limit exceeded', 'KOE237');
    } else if (faults.has('token-invalid-client')) {
      sendBadClientCredentials(res);
    } else {
      return false;
    }
    return true;
  }

  private exchangeCode(res: ServerResponse, app: FakeKakaoApp, form: Record<string, string>): void {
    const { code = '', redirect_uri: redirectUri, code_verifier: verifier } = form;
    const grant = this.codes.get(code);
    // Single use: a code is consumed by the first exchange that presents it, whatever follows.
    this.codes.delete(code);
    // Unknown, expired, reused (or another app's) codes all look the same. @see kakao-api.md §2 (KOE320)
    if (grant === undefined || grant.clientId !== app.clientId || grant.expiresAt <= Date.now()) {
      sendKauthError(res, 400, 'invalid_grant', `authorization code not found for code=${code}`, 'KOE320');
      return;
    }
    if (redirectUri !== grant.redirectUri) {
      sendKauthError(res, 400, 'invalid_grant', 'Redirect URI mismatch.', 'KOE303');
      return;
    }
    if (grant.codeChallenge !== undefined && (verifier === undefined || s256(verifier) !== grant.codeChallenge)) {
      // Kakao's code for a PKCE failure is not documented; KOE320 (its generic invalid_grant) is a guess.
      sendKauthError(res, 400, 'invalid_grant', 'code_verifier does not match code_challenge', 'KOE320');
      return;
    }
    const accessToken = this.issueAccessToken(app.clientId, grant.scopes, grant.user);
    const refreshToken = randomToken(40);
    remember(this.refreshTokens, refreshToken, {
      clientId: app.clientId,
      scopes: grant.scopes,
      user: grant.user,
      expiresAt: Date.now() + refreshTokenLifetimeS * 1000,
    });
    sendJson(res, 200, tokenBody(accessToken, refreshToken, grant.scopes.join(' ')), noStore);
  }

  /** Kept simple: the refresh token is never rotated (Kakao rotates only in its last month). @see kakao-api.md §2 */
  private refresh(res: ServerResponse, app: FakeKakaoApp, refreshToken: string | undefined): void {
    if (refreshToken === undefined || refreshToken === '') {
      sendKauthError(res, 400, 'invalid_grant', 'refresh_token is missing', 'KOE319');
      return;
    }
    const grant = this.refreshTokens.get(refreshToken);
    if (grant === undefined || grant.clientId !== app.clientId || grant.expiresAt <= Date.now()) {
      sendKauthError(res, 400, 'invalid_grant', 'expired_or_invalid_refresh_token', 'KOE322');
      return;
    }
    const accessToken = this.issueAccessToken(app.clientId, grant.scopes, grant.user);
    sendJson(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: accessTokenLifetimeS }, noStore);
  }

  private issueAccessToken(clientId: string, scopes: string[], user: FakeKakaoUser): string {
    const accessToken = randomToken(40);
    remember(this.accessTokens, accessToken, { clientId, scopes, user, expiresAt: Date.now() + accessTokenLifetimeS * 1000 });
    return accessToken;
  }

  // ---- GET|POST /v2/user/me -------------------------------------------------------------------

  /** @see kakao-api.md §3 */
  private userMe(req: IncomingMessage, res: ServerResponse): void {
    const { faults } = this;
    if (faults.has('me-hang')) return;
    if (faults.has('me-401')) {
      sendKapiError(res, 401, -401, 'this access token does not exist');
      return;
    }
    if (faults.has('me-500')) {
      sendKapiError(res, 500, -1, 'internal error');
      return;
    }
    if (faults.has('me-quota')) {
      // Monthly quota. @see kakao-api.md §5 (Rate limits)
      sendKapiError(res, 400, -10, 'API limit has been exceeded.');
      return;
    }
    if (faults.has('me-redirect')) {
      redirect(res, `${this.url}/login?continue=${encodeURIComponent(`${this.url}/v2/user/me`)}`);
      return;
    }
    const match = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
    const grant = match?.[1] === undefined ? undefined : this.accessTokens.get(match[1]);
    if (grant === undefined) {
      sendKapiError(res, 401, -401, 'this access token does not exist');
      return;
    }
    if (grant.expiresAt <= Date.now()) {
      sendKapiError(res, 401, -401, 'this access token is already expired');
      return;
    }
    const { user } = grant;
    if (!int64Pattern.test(user.id)) {
      sendJson(res, 500, { msg: `fake-kakao: user.id must be a decimal int64 string, got ${JSON.stringify(user.id)}`, code: -1 });
      return;
    }
    const account = userBody(user, grant.scopes, this.connectedAt, faults.has('me-huge'));
    if (faults.has('me-missing-id')) sendJsonText(res, 200, account);
    else if (faults.has('me-string-id')) sendJsonText(res, 200, withId(JSON.stringify(user.id), account));
    else if (faults.has('me-truncated')) sendTruncated(res, withId(user.id, account));
    else sendJsonText(res, 200, withId(user.id, account));
  }
}

/** Starts the fake on a loopback port (127.0.0.1 and a free port by default). */
export async function startFakeKakao(options: FakeKakaoOptions = {}): Promise<FakeKakao> {
  const server = createServer();
  const url = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  const fake = new FakeKakaoServer(server, url, { ...(options.user ?? defaultFakeUser) }, options.interactive === true);
  for (const app of options.apps ?? []) fake.addApp(app);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // Only reading the body can fail (the client went away): drop the exchange.
    fake.handle(req, res).catch(() => {
      res.destroy();
    });
  });
  return fake;
}

// ---- response bodies ----------------------------------------------------------------------------

/** Field order as in Kakao's samples. @see kakao-api.md §2 (Success response) */
function tokenBody(accessToken: string, refreshToken: string, scope: string): Record<string, unknown> {
  return {
    access_token: accessToken,
    token_type: 'bearer',
    refresh_token: refreshToken,
    expires_in: accessTokenLifetimeS,
    ...(scope === '' ? {} : { scope }),
    refresh_token_expires_in: refreshTokenLifetimeS,
  };
}

/**
 * The /v2/user/me body without `id` (see withId). Items the user has not set are absent; an
 * email outside the granted scope reads `email_needs_agreement: true`. @see kakao-api.md §3
 */
function userBody(user: FakeKakaoUser, scopes: string[], connectedAt: string, huge: boolean): string {
  const properties: Record<string, string> = {};
  if (user.nickname !== undefined) properties.nickname = user.nickname;
  if (user.profileImageUrl !== undefined) properties.profile_image = user.profileImageUrl;
  if (user.thumbnailImageUrl !== undefined) properties.thumbnail_image = user.thumbnailImageUrl;
  // A custom user property makes the body several MB of valid JSON.
  if (huge) properties.bio = 'kakao '.repeat(Math.ceil(hugeBodyChars / 6));
  const profile: Record<string, unknown> = {};
  if (user.nickname !== undefined) profile.nickname = user.nickname;
  if (user.thumbnailImageUrl !== undefined) profile.thumbnail_image_url = user.thumbnailImageUrl;
  if (user.profileImageUrl !== undefined) profile.profile_image_url = user.profileImageUrl;
  profile.is_default_image = user.isDefaultImage ?? user.profileImageUrl === undefined;
  profile.is_default_nickname = false;
  const account: Record<string, unknown> = { profile_needs_agreement: false, profile };
  if (user.name !== undefined) Object.assign(account, { name_needs_agreement: false, name: user.name });
  if (user.email !== undefined && (scopes.length === 0 || scopes.includes('account_email'))) {
    Object.assign(account, {
      email_needs_agreement: false,
      is_email_valid: user.isEmailValid ?? true,
      is_email_verified: user.isEmailVerified ?? true,
      email: user.email,
    });
  } else {
    account.email_needs_agreement = true;
  }
  if (user.phoneNumber !== undefined) Object.assign(account, { phone_number_needs_agreement: false, phone_number: user.phoneNumber });
  if (user.birthyear !== undefined) Object.assign(account, { birthyear_needs_agreement: false, birthyear: user.birthyear });
  if (user.birthday !== undefined) {
    Object.assign(account, { birthday_needs_agreement: false, birthday: user.birthday, birthday_type: user.birthdayType ?? 'SOLAR' });
  }
  if (user.gender !== undefined) Object.assign(account, { gender_needs_agreement: false, gender: user.gender });
  return JSON.stringify({ connected_at: connectedAt, properties, kakao_account: account });
}

/** Puts `"id":<literal>` first, written by hand so an int64 above 2^53 keeps every digit. */
function withId(idLiteral: string, body: string): string {
  return `{"id":${idLiteral},${body.slice(1)}`;
}

function sendKauthError(res: ServerResponse, status: number, error: string, description: string, errorCode: string): void {
  sendJson(res, status, { error, error_description: description, error_code: errorCode }, noStore);
}

/** @see kakao-api.md §2 (KOE010) */
function sendBadClientCredentials(res: ServerResponse): void {
  sendKauthError(res, 401, 'invalid_client', 'Bad client credentials', 'KOE010');
}

/** kapi errors are `{msg, code}`. @see kakao-api.md §3 (Errors on kapi) */
function sendKapiError(res: ServerResponse, status: number, code: number, msg: string): void {
  sendJson(res, status, { msg, code });
}

function errorPage(koe: string, detail: string): string {
  // Kakao's page reads "Admin Settings Issue (KOE006)" and never redirects back. @see kakao-api.md §1
  return page(
    `Kakao Login error (${koe})`,
    `<h1>Admin Settings Issue (${escapeHtml(koe)})</h1>
<p>An error in the service settings prevents the service from being used.</p>
<p>${escapeHtml(detail)}</p>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;background:#f6f6f6;margin:0}main{max-width:26rem;margin:3rem auto;background:#fff;padding:1.5rem 2rem;border-radius:12px}
h1{font-size:1.3rem}button{font:inherit;padding:.6rem 1rem;border-radius:8px;border:1px solid #ccc;background:#fff;margin:.25rem .25rem 0 0;cursor:pointer}
button.agree{background:#fee500;border-color:#fee500}.note{color:#777;font-size:.8rem}</style></head>
<body><main>${body}</main></body></html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// ---- HTTP helpers -------------------------------------------------------------------------------

const noStore = { 'cache-control': 'no-cache, no-store', pragma: 'no-cache' };
const pageSecurity = { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'", 'x-frame-options': 'DENY' };

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  sendJsonText(res, status, JSON.stringify(value), headers);
}

function sendJsonText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': jsonType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A complete HTTP response whose JSON body stops in the middle. */
function sendTruncated(res: ServerResponse, text: string): void {
  sendJsonText(res, 200, text.slice(0, Math.floor(text.length / 2)));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { ...pageSecurity, 'content-type': htmlType, 'content-length': Buffer.byteLength(html) });
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.writeHead(405, { allow, 'content-type': jsonType });
  res.end(JSON.stringify({ error: 'invalid_request', error_description: 'method not allowed' }));
}

function userDenied(state: string | undefined): [string, string | undefined][] {
  return [['error', 'access_denied'], ['error_description', 'User denied access'], ['state', state]];
}

/** Appends parameters (percent-encoded, spaces as %20) to a registered redirect URI; undefined values are left out. */
function withParams(uri: string, params: [string, string | undefined][]): string {
  const query = params
    .filter((param): param is [string, string] => param[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
  return `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
}

function firstValues(params: URLSearchParams): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of params) values[name] ??= value;
  return values;
}

function isForm(req: IncomingMessage): boolean {
  return req.headers['content-type']?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** The body as text, or undefined when it exceeds maxBodyBytes (it is drained either way). */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBodyBytes) chunks.push(chunk);
  }
  return size > maxBodyBytes ? undefined : Buffer.concat(chunks).toString('utf8');
}

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.set(key, value);
  // Maps iterate in insertion order, so the first key is the oldest grant.
  for (const oldest of map.keys()) {
    if (map.size <= maxGrants) break;
    map.delete(oldest);
  }
}

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
