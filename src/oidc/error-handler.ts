import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorPage, ErrorRedirect, InvalidRequest, OAuthError, ServerError } from '../errors.js';
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

function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
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
