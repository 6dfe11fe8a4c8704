/**
 * The login ceiling: bare Fastify 5, no logging, no hooks, no store, no checks, doing only the
 * work a bridge login cannot avoid, so that "full login ÷ this" shows what the bridge adds:
 *   GET  /authorize            302 to Kakao's authorize URL with a random state
 *   GET  /callback/kakao       Kakao's token endpoint (form POST), then /v2/user/me (Bearer), both
 *                              through one keep-alive undici Agent; 302 to the client with a random code
 *   POST /token                parses the form, signs the id_token (jose, RS256 2048, key imported once)
 *   GET  /userinfo             the user's claims as JSON
 * PORT is the bridge's port (the fake Kakao knows only that redirect URI); KAKAO_URL the fake Kakao.
 */
import { randomBytes } from 'node:crypto';
import fastifyFormbody from '@fastify/formbody';
import Fastify from 'fastify';
import { generateKeyPair, SignJWT } from 'jose';
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

const app = Fastify({ logger: false });
await app.register(fastifyFormbody);
app.get('/authorize', (_request, reply) => {
  const query = new URLSearchParams({ client_id: kakaoApp.clientId, redirect_uri: callbackUrl, response_type: 'code', state: random() });
  return reply.redirect(`${kakaoUrl}/oauth/authorize?${query.toString()}`, 302);
});
app.get<{ Querystring: { code?: string } }>('/callback/kakao', async (req, reply) => {
  const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: kakaoApp.clientId, client_secret: kakaoApp.clientSecret, redirect_uri: callbackUrl, code: req.query.code ?? '' });
  const token = await request(`${kakaoUrl}/oauth/token`, { dispatcher: kakao, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: form.toString() });
  const { access_token: accessToken } = (await token.body.json()) as { access_token: string };
  const user = await request(`${kakaoUrl}/v2/user/me`, { dispatcher: kakao, headers: { authorization: `Bearer ${accessToken}` } });
  await user.body.text();
  return reply.redirect(`${relyingParty.redirectUri}?code=${random()}&state=x`, 302);
});
app.post('/token', async () => {
  const now = Math.floor(Date.now() / 1000);
  const idToken = await new SignJWT({ ...userClaims, iss: issuer, aud: relyingParty.clientId, exp: now + 3600, iat: now, auth_time: now, nonce: 'rp-nonce' })
    .setProtectedHeader({ alg: 'RS256', kid: 'ceiling-rs256', typ: 'JWT' })
    .sign(privateKey);
  return { access_token: random(), token_type: 'Bearer', expires_in: 3600, scope, id_token: idToken };
});
app.get('/userinfo', () => userClaims);
await app.listen({ port, host: '127.0.0.1' });
announceReady(issuer);
