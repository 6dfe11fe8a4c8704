import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { InvalidGrant, InvalidRequest, UnsupportedGrantType } from '../errors.js';
import { atHash } from '../keys.js';
import { authenticateClient } from './client-auth.js';
import { claimsForScopes } from './claims.js';
import type { ProviderContext } from './context.js';
import { singleAuthorization, withoutEmptyValues } from './params.js';
import { verifyS256 } from './pkce.js';
import type { IssuedCode } from './records.js';

const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));

export const TokenBody = Type.Object(
  {
    grant_type: text(128),
    code: text(256),
    redirect_uri: text(2048),
    code_verifier: text(256),
    client_id: text(255),
    client_secret: text(1024),
    client_assertion: text(8192),
    client_assertion_type: text(256),
  },
  { additionalProperties: Type.String({ maxLength: 4096 }) },
);
type TokenBody = Static<typeof TokenBody>;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  id_token?: string;
}

/** @see RFC 6749 §5.1: token responses are never cached. */
export const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** @see RFC 6749 §4.1.3, §5; OIDC Core §3.1.3 */
export function registerToken(app: FastifyInstance, context: ProviderContext): void {
  app.post('/token', { schema: { body: TokenBody } }, async (request, reply) => {
    const body = withoutEmptyValues(request.body) as TokenBody;
    const { client } = await authenticateClient(
      {
        authorization: singleAuthorization(request),
        clientId: body.client_id,
        clientSecret: body.client_secret,
        clientAssertion: body.client_assertion,
        clientAssertionType: body.client_assertion_type,
      },
      {
        clients: context.clients,
        audiences: [context.endpoints.token, context.issuer],
        rememberAssertion: (clientId, jti, ttl) => context.records.rememberAssertion(clientId, jti, ttl),
      },
    );
    if (body.grant_type === undefined) throw new InvalidRequest('grant_type is required');
    if (body.grant_type !== 'authorization_code') throw new UnsupportedGrantType('only grant_type=authorization_code is supported');
    if (body.code === undefined) throw new InvalidRequest('code is required');

    const redeemed = await context.records.takeCode(body.code);
    if (redeemed === undefined) {
      if (await context.records.revokeGrant(body.code)) {
        request.log.warn({ client: client.clientId }, 'authorization code presented again after its redemption or expiry: any access token it bought is revoked');
      }
      throw new InvalidGrant('the code is invalid, expired or already used');
    }
    const { issued, grant } = redeemed;
    checkCodeBinding(issued, client.clientId, body);

    const now = context.now();
    const { accessTokenTtl, idTokenTtl } = client;
    const claims = claimsForScopes(issued.claims, issued.scopes);
    const accessToken = context.records.issueAccessToken(
      { clientId: client.clientId, expiresAt: now + accessTokenTtl, grant },
      { sub: issued.subject, ...claims },
      now,
    );
    const idToken = issued.scopes.includes('openid')
      ? // No `nbf`: relying parties that check it with zero tolerance (jose, Logto) would reject
        // every token from a bridge whose clock runs ahead of theirs.
        await context.keys.sign(
          {
            iss: context.issuer,
            sub: issued.subject,
            aud: client.clientId,
            exp: now + idTokenTtl,
            iat: now,
            auth_time: issued.authTime,
            ...(issued.nonce === undefined ? {} : { nonce: issued.nonce }),
            at_hash: atHash(accessToken),
            // Logto's OIDC connector reads the profile only from the id_token. @see logto-connectors.md
            ...claims,
          },
          context.config.signingAlg,
        )
      : undefined;
    const response: TokenResponse = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessTokenTtl,
      scope: issued.scopes.join(' '),
      ...(idToken === undefined ? {} : { id_token: idToken }),
    };
    context.metrics.tokensIssued(body.grant_type, response.id_token !== undefined);
    return reply.headers(noStore).send(response);
  });
}

/** @see RFC 6749 §4.1.3; RFC 7636 §4.6; RFC 9700 §2.1.1 (PKCE downgrade) */
function checkCodeBinding(issued: IssuedCode, clientId: string, body: TokenBody): void {
  if (issued.clientId !== clientId) throw new InvalidGrant('the code was issued to another client');
  if (body.redirect_uri === undefined) throw new InvalidRequest('redirect_uri is required');
  if (body.redirect_uri !== issued.redirectUri) throw new InvalidGrant('redirect_uri does not match the authorization request');
  const verifier = body.code_verifier;
  if (issued.codeChallenge === undefined) {
    if (verifier !== undefined) throw new InvalidGrant('code_verifier sent, but the authorization request had no code_challenge');
    return;
  }
  if (verifier === undefined) throw new InvalidGrant('code_verifier is required');
  if (!verifyS256(verifier, issued.codeChallenge)) throw new InvalidGrant('code_verifier does not match the code_challenge');
}
