import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { ErrorPage, ErrorRedirect, UpstreamError } from '../errors.js';
import { loginFailure, loginFailureReason } from '../ops/metrics.js';
import type { ProviderContext } from './context.js';
import { storeFailurePage, storeFailureRedirect } from './error-handler.js';
import { authorizationResponseUrl } from './redirect.js';

export const CallbackParams = Type.Object(
  { connectorId: Type.String({ maxLength: 64 }) },
  { additionalProperties: false },
);
export const CallbackQuery = Type.Object(
  {
    state: Type.Optional(Type.String({ maxLength: 256 })),
    code: Type.Optional(Type.String({ maxLength: 2048 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
    error_description: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: Type.String({ maxLength: 2048 }) },
);

const expiredLogin = new ErrorPage(
  'Sign-in expired',
  'This sign-in link has expired or was already used. Go back to the application and sign in again.',
);

/**
 * The upstream's redirect back: check the login is this browser's, turn the callback into an
 * identity, and send the client a single-use code.
 */
export function registerCallback(app: FastifyInstance, context: ProviderContext): void {
  app.get('/callback/:connectorId', { schema: { params: CallbackParams, querystring: CallbackQuery }, attachValidation: true }, async (request, reply) => {
    // A browser lands here: a malformed callback gets a page, not JSON.
    if (request.validationError !== undefined) throw new ErrorPage('Invalid request', 'The sign-in response is malformed.');
    const { connectorId } = request.params as { connectorId: string };
    const query = request.query as Record<string, string | undefined>;
    const loginId = query.state;
    if (loginId === undefined) throw new ErrorPage('Invalid request', 'The sign-in response has no state.');
    const browser = context.binding.read(request);

    const login = await context.records.takeLogin(loginId).catch(storeFailurePage);
    if (login === undefined) {
      // A browser or proxy repeating the callback gets the answer it already had, until the code is
      // redeemed. @see kakao-api.md §5 pitfall 5
      const code = context.records.codeOf(loginId);
      const issued = await context.records.getCode(code).catch(storeFailurePage);
      if (issued !== undefined && browser !== undefined && issued.browser === browser) {
        const location = authorizationResponseUrl(issued.redirectUri, context.issuer, { code, state: issued.state });
        return reply.header('cache-control', 'no-store').redirect(location, 302);
      }
      context.metrics.loginFailed(loginFailure.expired);
      throw expiredLogin;
    }
    if (browser === undefined || browser !== login.browser) {
      context.metrics.loginFailed(loginFailure.browserMismatch);
      throw new ErrorPage('Sign-in not started here', 'This sign-in was started in another browser. Start again from the application.');
    }
    const connector = context.connectors.get(connectorId);
    if (connector === undefined || connectorId !== login.connectorId) {
      context.metrics.loginFailed(loginFailure.expired);
      throw expiredLogin;
    }

    let location: string;
    try {
      const identity = await connector.exchange({
        query,
        redirectUri: context.endpoints.callback(connectorId),
        codeVerifier: login.upstreamVerifier,
      });
      const code = context.records.codeOf(loginId);
      await context.records.putCode(
        code,
        {
          clientId: login.clientId,
          redirectUri: login.redirectUri,
          codeChallenge: login.codeChallenge,
          nonce: login.nonce,
          scopes: login.scopes,
          subject: identity.subject,
          claims: identity.claims,
          authTime: context.now(),
          browser,
          state: login.state,
        },
        context.config.codeTtl,
      ).catch(storeFailureRedirect({ redirectUri: login.redirectUri, state: login.state }));
      location = authorizationResponseUrl(login.redirectUri, context.issuer, { code, state: login.state });
    } catch (error) {
      context.metrics.loginFailed(loginFailureReason(error));
      if (error instanceof UpstreamError) {
        request.log.warn({ reason: error.reason, connector: connectorId, cause: causeMessage(error) }, 'upstream login failed');
        throw new ErrorRedirect({ redirectUri: login.redirectUri, state: login.state }, error.oauthError);
      }
      throw error;
    }
    context.metrics.loginCompleted(connectorId);
    return reply.header('cache-control', 'no-store').redirect(location, 302);
  });
}

function causeMessage(error: Error): string | undefined {
  return error.cause instanceof Error ? error.cause.message : undefined;
}
