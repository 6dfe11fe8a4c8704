/**
 * The login ceiling: bare Fastify 5, no logging, no hooks, no store, no checks, doing only the
 * work a bridge login cannot avoid, so that "full login ÷ this" shows what the bridge adds:
 *   GET  /authorize            302 to Kakao's authorize URL with a random state
 *   GET  /callback/kakao       Kakao's token endpoint (form POST), then /v2/user/me (Bearer), both
 *                              through one keep-alive undici Agent; 302 to the client with a random code
 *   POST /token                parses the form, signs the id_token (jose, RS256 2048, key imported once)
 *   GET  /userinfo             the user's claims as JSON
 * PORT is the bridge's port (the fake Kakao knows only that redirect URI); KAKAO_URL the fake Kakao.
 * With REDIS_URL it also makes the six store round trips that a login through a shared store
 * cannot skip, one after another as a login needs them: the pending login written at /authorize
 * and taken at /callback, the code written at /callback and taken at /token, the access token
 * written at /token and read at /userinfo (records of the bridge's size, nothing checked).
 */
import { randomBytes } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import Fastify from 'fastify';
import { generateKeyPair, SignJWT } from 'jose';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { announceReady, exitWithParent, kakaoApp, relyingParty, scope, userClaims } from '../lib/fixtures.js';

exitWithParent();
const port = Number(process.env.PORT ?? '0');
const kakaoUrl = process.env.KAKAO_URL ?? '';
const issuer = `http://127.0.0.1:${port}`;
const callbackUrl = `${issuer}/callback/kakao`;
const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
const kakao = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
const random = () => randomBytes(32).toString('base64url');
const redis = process.env.REDIS_URL === undefined ? undefined : new Redis(process.env.REDIS_URL);
/** Stand-ins of the bridge's records (a pending login ~300 B, a code or an access token ~500 B). */
const loginRecord = JSON.stringify({ clientId: relyingParty.clientId, redirectUri: relyingParty.redirectUri, state: random(), nonce: random(), scopes: scope.split(' '), codeChallenge: random(), connectorId: 'kakao', upstreamVerifier: random(), browser: random() });
const grantRecord = JSON.stringify({ clientId: relyingParty.clientId, subject: '3827731058', scopes: scope.split(' '), claims: userClaims, expiresAt: 0, nonce: random() });

const app = Fastify({ logger: false });
await app.register(fastifyFormbody);
/** Kakao's authorize URL for a new login (with Redis, once the pending login is stored). */
function toKakao(state: string): string {
  const query = new URLSearchParams({ client_id: kakaoApp.clientId, redirect_uri: callbackUrl, response_type: 'code', state });
  return `${kakaoUrl}/oauth/authorize?${query.toString()}`;
}
// Without Redis the handlers stay synchronous, as the ceiling was measured before it had a Redis variant.
if (redis === undefined) {
  app.get('/authorize', (_request, reply) => reply.redirect(toKakao(random()), 302));
  app.get('/userinfo', () => userClaims);
} else {
  app.get('/authorize', async (_request, reply) => {
    const state = random();
    await redis.set(`login:${state}`, loginRecord, 'EX', 600);
    return reply.redirect(toKakao(state), 302);
  });
  app.get('/userinfo', async (req) => {
    await redis.get(`access:${req.headers.authorization?.slice('Bearer '.length) ?? ''}`);
    return userClaims;
  });
}
app.get<{ Querystring: { code?: string; state?: string } }>('/callback/kakao', async (req, reply) => {
  if (redis !== undefined) await redis.getdel(`login:${req.query.state ?? ''}`);
  const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: kakaoApp.clientId, client_secret: kakaoApp.clientSecret, redirect_uri: callbackUrl, code: req.query.code ?? '' });
  const token = await request(`${kakaoUrl}/oauth/token`, { dispatcher: kakao, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: form.toString() });
  const { access_token: accessToken } = (await token.body.json()) as { access_token: string };
  const user = await request(`${kakaoUrl}/v2/user/me`, { dispatcher: kakao, headers: { authorization: `Bearer ${accessToken}` } });
  await user.body.text();
  const code = random();
  if (redis !== undefined) await redis.set(`code:${code}`, grantRecord, 'EX', 60);
  return reply.redirect(`${relyingParty.redirectUri}?code=${code}&state=x`, 302);
});
app.post<{ Body: { code?: string } }>('/token', async (req) => {
  const accessToken = random();
  if (redis !== undefined) await redis.getdel(`code:${req.body.code ?? ''}`);
  const now = Math.floor(Date.now() / 1000);
  const signing = new SignJWT({ ...userClaims, iss: issuer, aud: relyingParty.clientId, exp: now + 3600, iat: now, auth_time: now, nonce: 'rp-nonce' })
    .setProtectedHeader({ alg: 'RS256', kid: 'ceiling-rs256', typ: 'JWT' })
    .sign(privateKey);
  // The access token's write overlaps the signature, as the bridge's does.
  const [idToken] = await Promise.all([signing, redis?.set(`access:${accessToken}`, grantRecord, 'EX', 3600)]);
  return { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope, id_token: idToken };
});
await app.listen({ port, host: '127.0.0.1' });
announceReady(issuer);
