/**
 * One error type per OAuth 2.0 / OIDC error code. Thrown from anywhere, rendered in one place
 * (src/oidc/error-handler.ts) as RFC 6749 §5.2 JSON, an RFC 6750 §3 challenge, or an error redirect.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    options?: ErrorOptions,
  ) {
    super(description, options);
    this.name = new.target.name;
  }
}

/** @see RFC 6749 §4.1.2.1, §5.2 */
export class InvalidRequest extends OAuthError {
  constructor(description: string) {
    super('invalid_request', description);
  }
}

/** @see RFC 6749 §5.2: 401, with a WWW-Authenticate challenge. */
export class InvalidClient extends OAuthError {
  constructor(description: string) {
    super('invalid_client', description, 401);
  }
}

export class InvalidGrant extends OAuthError {
  constructor(description: string) {
    super('invalid_grant', description);
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', description);
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(description: string) {
    super('unsupported_grant_type', description);
  }
}

export class UnsupportedResponseType extends OAuthError {
  constructor(description: string) {
    super('unsupported_response_type', description);
  }
}

export class AccessDenied extends OAuthError {
  constructor(description: string) {
    super('access_denied', description, 403);
  }
}

/** @see OIDC Core §3.1.2.6 */
export class LoginRequired extends OAuthError {
  constructor(description: string) {
    super('login_required', description);
  }
}

/** @see OIDC Core §6.1 request objects are not supported. */
export class RequestNotSupported extends OAuthError {
  constructor(parameter: 'request' | 'request_uri') {
    super(`${parameter}_not_supported`, `the ${parameter} parameter is not supported`);
  }
}

export class TemporarilyUnavailable extends OAuthError {
  constructor(description: string, options?: ErrorOptions) {
    super('temporarily_unavailable', description, 503, options);
  }
}

export class ServerError extends OAuthError {
  constructor(description: string, options?: ErrorOptions) {
    super('server_error', description, 500, options);
  }
}

/** @see RFC 6750 §3.1: 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
export class InvalidToken extends OAuthError {
  constructor(description: string) {
    super('invalid_token', description, 401);
  }
}

/**
 * A failure that must not be redirected anywhere: an unknown client or an unregistered
 * redirect_uri (RFC 6749 §4.1.2.1), or a callback this bridge cannot tie to a login.
 * The browser gets a plain 400 page.
 */
export class ErrorPage extends Error {
  constructor(
    readonly title: string,
    readonly detail: string,
    readonly status = 400,
  ) {
    super(`${title}: ${detail}`);
    this.name = 'ErrorPage';
  }
}

/** Where an authorization error is sent once the client and its redirect_uri are known. */
export interface ErrorRedirectTarget {
  redirectUri: string;
  state: string | undefined;
}

/** An OAuth error that goes back to the client's redirect_uri (RFC 6749 §4.1.2.1, RFC 9207). */
export class ErrorRedirect extends Error {
  constructor(
    readonly target: ErrorRedirectTarget,
    readonly oauthError: OAuthError,
  ) {
    super(oauthError.description, { cause: oauthError });
    this.name = 'ErrorRedirect';
  }
}

/**
 * A failed call to an upstream identity source. `reason` is stable (metrics, logs); the OAuth
 * error is what the relying party sees.
 */
export class UpstreamError extends Error {
  constructor(
    readonly reason: string,
    readonly oauthError: OAuthError,
    options?: ErrorOptions,
  ) {
    super(`${reason}: ${oauthError.description}`, options);
    this.name = 'UpstreamError';
  }
}
