import type { FastifyInstance } from 'fastify';
import { signingAlgs } from '../config.js';
import { tokenEndpointAuthMethods } from './client-auth.js';
import { supportedClaims, supportedScopes } from './claims.js';
import type { ProviderContext } from './context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: no access-log line for this route (src/app.ts). */
    accessLog?: boolean;
  }
}

/** @see OIDC Discovery §3 */
export function discoveryDocument(context: ProviderContext): Record<string, unknown> {
  const { issuer, endpoints } = context;
  return {
    issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    userinfo_endpoint: endpoints.userinfo,
    jwks_uri: endpoints.jwks,
    scopes_supported: supportedScopes,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [context.config.signingAlg],
    userinfo_signing_alg_values_supported: signingAlgs,
    token_endpoint_auth_methods_supported: tokenEndpointAuthMethods,
    token_endpoint_auth_signing_alg_values_supported: ['HS256', 'HS384', 'HS512'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: ['iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', ...supportedClaims],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    prompt_values_supported: ['none', 'login', 'consent', 'select_account', 'create'],
    authorization_response_iss_parameter_supported: true,
  };
}

/** Discovery and JWKS are public and the same for everyone: serialised once, cacheable, CORS-open. */
export function registerDiscovery(app: FastifyInstance, context: ProviderContext): void {
  const discoveryJson = JSON.stringify(discoveryDocument(context));
  const publicHeaders = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' };
  // Public documents fetched by every relying party: no access-log line each, and one logger at
  // warn for all their requests rather than a child per request (warnings go out without reqId).
  void app.register((quiet) => {
    const level = ['error', 'fatal', 'silent'].includes(quiet.log.level) ? quiet.log.level : 'warn';
    const quietLogger = quiet.log.child({ route: 'public' }, { level });
    quiet.setChildLoggerFactory(() => quietLogger);
    quiet.get('/.well-known/openid-configuration', { config: { accessLog: false } }, (_request, reply) => reply.headers(publicHeaders).send(discoveryJson));
    quiet.get('/jwks', { config: { accessLog: false } }, (_request, reply) => reply.headers(publicHeaders).send(context.keys.jwksJson));
    return Promise.resolve();
  });
}
