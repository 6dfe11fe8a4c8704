import type { ConnectorConfig } from '../config.js';
import { AccessDenied, OAuthError, ServerError, TemporarilyUnavailable, UpstreamError } from '../errors.js';
import { UpstreamTransportError, type UpstreamClient, type UpstreamResponse } from '../http/upstream-client.js';
import type { Connector, Identity, UpstreamAuthorizationRequest, UpstreamCallback } from './connector.js';
import { MalformedKakaoResponse, parseKakaoUser } from './kakao-profile.js';

const formContentType = 'application/x-www-form-urlencoded;charset=utf-8';
/** @see RFC 6750 §2.1 (b64token) */
const bearerTokenPattern = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Kakao honours these OIDC prompt values. @see kakao-api.md §1 */
const kakaoPrompts = new Set(['login', 'select_account', 'create']);

export type KakaoCall = 'token' | 'user';

/** Observes each Kakao call (metrics); never given tokens or bodies. */
export type KakaoCallObserver = (call: KakaoCall, outcome: string, durationMs: number) => void;

/** Kakao Login as an upstream identity source. */
export class KakaoConnector implements Connector {
  readonly id: string;
  private readonly authorizeEndpoint: string;

  constructor(
    private readonly config: ConnectorConfig,
    private readonly http: UpstreamClient,
    private readonly observe: KakaoCallObserver = () => undefined,
  ) {
    this.id = config.id;
    this.authorizeEndpoint = new URL(`${config.authUrl}/oauth/authorize`).href;
  }

  /** @see kakao-api.md §1 (GET /oauth/authorize) */
  authorizationUrl(request: UpstreamAuthorizationRequest): string {
    // Serialised once at the end: each set() on a URL's own searchParams re-serialises the whole URL.
    const params = new URLSearchParams();
    params.set('client_id', this.config.clientId);
    params.set('redirect_uri', request.redirectUri);
    params.set('response_type', 'code');
    params.set('state', request.state);
    params.set('code_challenge', request.codeChallenge);
    params.set('code_challenge_method', 'S256');
    if (this.config.scopes.length > 0) params.set('scope', this.config.scopes.join(' '));
    const prompt = request.prompt.filter((value) => kakaoPrompts.has(value));
    if (prompt.length > 0) params.set('prompt', prompt.join(' '));
    if (request.loginHint !== undefined) params.set('login_hint', request.loginHint);
    return `${this.authorizeEndpoint}?${params.toString()}`;
  }

  async exchange(callback: UpstreamCallback): Promise<Identity> {
    const code = callbackCode(callback.query);
    const accessToken = await this.timed('token', () => this.requestKakaoToken(code, callback), parseKakaoTokenResponse);
    return this.timed('user', () => this.requestKakaoUser(accessToken), parseKakaoUserResponse);
  }

  private requestKakaoToken(code: string, callback: UpstreamCallback): Promise<UpstreamResponse> {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: this.config.clientId,
      redirect_uri: callback.redirectUri,
      code,
      code_verifier: callback.codeVerifier,
    });
    // Kakao answers KOE010 to a secret it does not expect, so it is sent only when configured.
    if (this.config.clientSecret !== undefined) form.set('client_secret', this.config.clientSecret);
    return this.http.send({
      method: 'POST',
      url: `${this.config.authUrl}/oauth/token`,
      headers: { 'content-type': formContentType, accept: 'application/json' },
      body: form.toString(),
    });
  }

  private requestKakaoUser(accessToken: string): Promise<UpstreamResponse> {
    return this.http.send({
      method: 'GET',
      url: `${this.config.apiUrl}/v2/user/me`,
      headers: { authorization: `Bearer ${accessToken}`, 'content-type': formContentType, accept: 'application/json' },
      idempotent: true,
    });
  }

  private async timed<T>(call: KakaoCall, send: () => Promise<UpstreamResponse>, parse: (response: UpstreamResponse) => T): Promise<T> {
    const started = performance.now();
    try {
      const result = parse(await send().catch(rethrowTransportFailure));
      this.observe(call, 'ok', performance.now() - started);
      return result;
    } catch (error) {
      this.observe(call, error instanceof UpstreamError ? error.reason : 'error', performance.now() - started);
      throw error;
    }
  }
}

/**
 * Reads Kakao's redirect to the callback: `code`, or `error` (+ `error_description`).
 * @see kakao-api.md §1 (Redirect responses)
 */
export function callbackCode(query: Record<string, string | undefined>): string {
  const { code, error } = query;
  if (error === 'access_denied') {
    throw new UpstreamError('kakao_user_cancelled', new AccessDenied('the user cancelled the Kakao login'));
  }
  if (error !== undefined) {
    throw new UpstreamError('kakao_authorize_error', new ServerError(`Kakao login failed (${error.slice(0, 64)})`));
  }
  if (code === undefined || code === '') {
    throw new UpstreamError('kakao_no_code', new ServerError('Kakao returned neither a code nor an error'));
  }
  return code;
}

/** @see kakao-api.md §2 (success and error bodies of POST /oauth/token) */
export function parseKakaoTokenResponse(response: UpstreamResponse): string {
  const body = parseJsonObject(response);
  if (response.status === 200) {
    // A token that is not RFC 6750 b64token syntax cannot go into `Authorization: Bearer`: reject it here as malformed.
    if (body === undefined || typeof body.access_token !== 'string' || !bearerTokenPattern.test(body.access_token) || typeof body.token_type !== 'string') {
      throw malformed('token');
    }
    return body.access_token;
  }
  const errorCode = typeof body?.error_code === 'string' ? body.error_code : undefined;
  if (errorCode === 'KOE237' || response.status === 429) {
    throw new UpstreamError('kakao_rate_limited', new TemporarilyUnavailable('Kakao is rate limiting logins; try again shortly'));
  }
  if (response.status >= 500 || errorCode === 'KOE003') {
    throw new UpstreamError('kakao_unavailable', new TemporarilyUnavailable('Kakao is unavailable; try again shortly'));
  }
  if (errorCode === 'KOE010' || errorCode === 'KOE101' || body?.error === 'invalid_client') {
    throw new UpstreamError('kakao_client_rejected', new ServerError('Kakao rejected the bridge credentials (check KAKAO_CLIENT_ID and KAKAO_CLIENT_SECRET)'));
  }
  if (body?.error === 'invalid_grant') {
    throw new UpstreamError('kakao_code_rejected', new ServerError('Kakao rejected the authorization code'));
  }
  throw malformed('token');
}

/** @see kakao-api.md §3 (GET /v2/user/me and kapi error bodies `{code, msg}`) */
export function parseKakaoUserResponse(response: UpstreamResponse): Identity {
  if (response.status === 200) {
    try {
      return parseKakaoUser(response.body);
    } catch (error) {
      if (error instanceof MalformedKakaoResponse) throw malformed('user', error);
      throw error;
    }
  }
  const body = parseJsonObject(response);
  if (response.status >= 500 || body?.code === -10 || body?.code === -7 || body?.code === -9798) {
    throw new UpstreamError('kakao_unavailable', new TemporarilyUnavailable('Kakao is unavailable or over quota; try again later'));
  }
  if (response.status === 401) {
    throw new UpstreamError('kakao_token_invalid', new ServerError('Kakao did not accept the access token it issued'));
  }
  throw malformed('user');
}

function malformed(call: KakaoCall, cause?: Error): UpstreamError {
  return new UpstreamError('kakao_malformed_response', new ServerError(`unexpected response from Kakao (${call})`), { cause });
}

function parseJsonObject(response: UpstreamResponse): Record<string, unknown> | undefined {
  if (!response.contentType.includes('json')) return undefined;
  try {
    const parsed: unknown = JSON.parse(response.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function rethrowTransportFailure(error: unknown): never {
  if (error instanceof UpstreamTransportError) {
    const oauthError: OAuthError =
      error.failure === 'too_large'
        ? new ServerError('unexpected response from Kakao')
        : new TemporarilyUnavailable(error.failure === 'timeout' ? 'Kakao did not answer in time' : 'Kakao could not be reached');
    throw new UpstreamError(`kakao_${error.failure}`, oauthError, { cause: error });
  }
  throw error;
}
