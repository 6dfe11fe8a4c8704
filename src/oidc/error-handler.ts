import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorPage, ErrorRedirect, InvalidRequest, OAuthError, ServerError, TemporarilyUnavailable, type ErrorRedirectTarget } from '../errors.js';
import { StoreUnavailable } from '../store/store.js';
import { sendErrorPage } from './pages.js';
import { authorizationResponseUrl } from './redirect.js';

/**
 * The one place where errors become responses: an error redirect to the client, a plain page,
 * or RFC 6749 §5.2 JSON (with the RFC 6750 §3 challenge for bearer tokens). Nothing internal
 * (stack, cause, upstream body) reaches the response.
 */
export function createErrorHandler(issuer: string) {
  const realm = `realm="${issuer}"`;
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof ErrorRedirect) {
      const { redirectUri, state } = error.target;
      const { error: code, description } = error.oauthError;
      if (error.oauthError.cause instanceof StoreUnavailable) request.log.warn({ reason: error.oauthError.cause.message }, 'store unavailable');
      request.log.info({ error: code }, 'authorization error sent to the client');
      return reply
        .header('cache-control', 'no-store')
        .redirect(authorizationResponseUrl(redirectUri, issuer, { error: code, error_description: description, state }), 302);
    }
    if (error instanceof ErrorPage) {
      request.log.info({ page: error.title }, 'error page');
      return sendErrorPage(reply, error.status, error.title, error.detail);
    }
    const oauthError = toOAuthError(error);
    if (oauthError.status >= 500) request.log.error({ err: error }, 'request failed');
    reply.code(oauthError.status).header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (oauthError.error === 'invalid_token') {
      reply.header('www-authenticate', `Bearer ${realm}, error="invalid_token", error_description="${oauthError.description}"`);
    } else if (oauthError.error === 'invalid_client') {
      reply.header('www-authenticate', `Basic ${realm}`);
    }
    return reply.send({ error: oauthError.error, error_description: oauthError.description });
  };
}

/** For `.catch()` once the client and its redirect_uri are known: a store failure goes back to the client. @see RFC 6749 §4.1.2.1 */
export function storeFailureRedirect(target: ErrorRedirectTarget): (error: unknown) => never {
  return (error) => {
    throw error instanceof StoreUnavailable ? new ErrorRedirect(target, temporarilyUnavailable(error)) : error;
  };
}

/** For `.catch()` before the client is known (a callback whose login cannot be read): a 503 page. */
export function storeFailurePage(error: unknown): never {
  if (!(error instanceof StoreUnavailable)) throw error;
  throw new ErrorPage('Temporarily unavailable', 'The sign-in service cannot finish this sign-in right now. Go back to the application and try again in a moment.', 503);
}

function temporarilyUnavailable(error: StoreUnavailable): TemporarilyUnavailable {
  return new TemporarilyUnavailable('the service is temporarily unavailable, try again in a moment', { cause: error });
}

function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof StoreUnavailable) return temporarilyUnavailable(error);
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation !== undefined) {
    return new InvalidRequest(`invalid ${fastifyError.validationContext ?? 'request'}: ${fastifyError.message ?? ''}`.slice(0, 300));
  }
  // Fastify's own 4xx (unsupported media type, body too large, malformed body) are the client's doing.
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new OAuthError('invalid_request', fastifyError.message ?? 'invalid request', status);
  }
  return new ServerError('internal error');
}
