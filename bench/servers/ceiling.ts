/**
 * The ceilings: bare Fastify 5, no logging, no hooks. Each route does the one thing a bridge
 * endpoint cannot avoid doing, so bridge ÷ ceiling shows what the bridge adds on top.
 *   GET /static   a constant JSON body the size of a discovery document
 *   GET /sign     signs an id_token-sized JWT (RS256, 2048-bit key imported once) and returns it as JSON
 *   GET /verify   verifies the RS256 JWT bearer in Authorization and returns its claims as JSON
 *   POST /token   what a token endpoint cannot avoid: parses the form body (@fastify/formbody, as the
 *                 bridge does), signs the same id_token, answers a token response (no-store); no
 *                 client authentication, no code, no store
 *   GET /sample   a JWT for /verify (not measured)
 */
import { createHash, randomBytes } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import Fastify from 'fastify';
import { generateKeyPair, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { announceReady, exitWithParent, relyingParty, scope, userClaims } from '../lib/fixtures.js';

exitWithParent();
const port = Number(process.env.PORT ?? '0');
const issuer = `http://127.0.0.1:${port}`;
const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
const kid = 'ceiling-rs256';

/** The same claims as the bridge's id_token for the benchmark user. */
function idTokenClaims(): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: userClaims.sub,
    aud: relyingParty.clientId,
    exp: now + 3600,
    iat: now,
    auth_time: now,
    nonce: 'rp-nonce-0123456789',
    at_hash: createHash('sha256').update(randomBytes(32).toString('base64url')).digest().subarray(0, 16).toString('base64url'),
    name: userClaims.name,
    nickname: userClaims.nickname,
    picture: userClaims.picture,
    email: userClaims.email,
    email_verified: userClaims.email_verified,
  };
}

function sign(): Promise<string> {
  return new SignJWT(idTokenClaims()).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey);
}

const staticBody = JSON.stringify({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  userinfo_endpoint: `${issuer}/userinfo`,
  jwks_uri: `${issuer}/jwks`,
  scopes_supported: ['openid', 'profile', 'email', 'phone'],
  response_types_supported: ['code'],
  response_modes_supported: ['query'],
  grant_types_supported: ['authorization_code'],
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: ['RS256'],
  userinfo_signing_alg_values_supported: ['RS256', 'ES256'],
  token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'client_secret_jwt', 'none'],
  token_endpoint_auth_signing_alg_values_supported: ['HS256', 'HS384', 'HS512'],
  code_challenge_methods_supported: ['S256'],
  claims_supported: ['iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'sub', 'name', 'nickname', 'picture', 'gender', 'birthdate', 'locale', 'email', 'email_verified', 'phone_number', 'phone_number_verified'],
  claims_parameter_supported: false,
  request_parameter_supported: false,
  request_uri_parameter_supported: false,
  prompt_values_supported: ['none', 'login', 'consent', 'select_account', 'create'],
  authorization_response_iss_parameter_supported: true,
});

const app = Fastify({ logger: false });
await app.register(fastifyFormbody);
app.get('/static', (_request, reply) => reply.type('application/json; charset=utf-8').send(staticBody));
app.get('/sign', async () => ({ id_token: await sign() }));
app.post('/token', async (_request, reply) =>
  reply
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
    .send({ access_token: randomBytes(32).toString('base64url'), token_type: 'Bearer', expires_in: 3600, scope, id_token: await sign() }),
);
app.get('/sample', async () => ({ jwt: await sign() }));
app.get('/verify', async (request, reply) => {
  const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
  if (match?.[1] === undefined) return reply.code(401).send({ error: 'invalid_token' });
  const { payload } = await jwtVerify(match[1], publicKey, { issuer, audience: relyingParty.clientId, algorithms: ['RS256'] });
  return payload;
});
await app.listen({ port, host: '127.0.0.1' });
announceReady(issuer);
