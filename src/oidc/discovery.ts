import type { FastifyInstance, FastifyReply } from 'fastify';
import { securityHeaders } from '../http/security-headers.js';
import { signingAlgs } from '../config.js';
import { tokenEndpointAuthMethods } from './client-auth.js';
import { supportedClaims, supportedScopes } from './claims.js';
import type { ProviderContext } from './context.js';

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

/**
 * A public document's response, prepared once per body (JWKS changes with key rotation): the
 * header pairs are handed to node:http as they are, without Fastify's per-reply header object,
 * content-length computation and onSend hooks (bench:compare, per CPU-s: discovery ×1.08, JWKS
 * ×1.13). The onResponse hooks (metrics) still run.
 */
class PublicDocument {
  private body = '';
  private head: string[] = [];

  send(reply: FastifyReply, body: string): void {
    if (body !== this.body) {
      this.body = body;
      this.head = [...publicHeaderPairs, 'content-length', String(Buffer.byteLength(body))];
    }
    // Skipping onSend skips the drain's `Connection: close` (src/ops/drain.ts) too, and need not:
    // once a close starts Fastify answers 503 before routing, and the handlers send at once, so
    // this never runs while the bridge drains (but for /jwks on a first start, which may wait a few
    // tens of milliseconds for its key). node:http leaves the body out of a response to HEAD.
    reply.hijack();
    reply.raw.writeHead(200, this.head);
    reply.raw.end(body);
  }
}

const publicHeaderPairs = Object.entries({
  ...securityHeaders,
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'public, max-age=300',
  'access-control-allow-origin': '*',
}).flat();

/** Discovery and JWKS are public and the same for everyone: serialised once, cacheable, CORS-open. */
export function registerDiscovery(app: FastifyInstance, context: ProviderContext): void {
  const discoveryJson = JSON.stringify(discoveryDocument(context));
  // Public documents fetched by every relying party: no access-log line each, and one logger at
  // warn for all their requests rather than a child per request (warnings go out without reqId).
  void app.register((quiet) => {
    const level = ['error', 'fatal', 'silent'].includes(quiet.log.level) ? quiet.log.level : 'warn';
    const quietLogger = quiet.log.child({ route: 'public' }, { level });
    quiet.setChildLoggerFactory(() => quietLogger);
    const discovery = new PublicDocument();
    const jwks = new PublicDocument();
    quiet.get('/.well-known/openid-configuration', { config: { accessLog: 'none' } }, (_request, reply) => {
      discovery.send(reply, discoveryJson);
    });
    quiet.get('/jwks', { config: { accessLog: 'none' } }, (_request, reply) => {
      const { keys } = context;
      if (keys.hasAllKeys) {
        jwks.send(reply, keys.jwksJson);
        return;
      }
      // A first start, still creating its keys: an empty key set cached for five minutes would
      // make relying parties reject the first id_tokens.
      return keys.ensureAllKeys().then(() => {
        jwks.send(reply, keys.jwksJson);
      });
    });
    return Promise.resolve();
  });
}
