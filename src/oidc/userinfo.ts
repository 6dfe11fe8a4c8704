import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { InvalidRequest, InvalidToken } from '../errors.js';
import type { ProviderContext } from './context.js';
import { singleAuthorization, withoutEmptyValues } from './params.js';
import type { UserinfoClaims } from './records.js';
import { noStore } from './token.js';

/** Access tokens carry their record, sealed (src/oidc/access-tokens.ts): a few hundred characters, more with long claims. */
const maxAccessTokenLength = 8192;

export const UserinfoBody = Type.Object(
  { access_token: Type.Optional(Type.String({ maxLength: maxAccessTokenLength })) },
  { additionalProperties: Type.String({ maxLength: 4096 }) },
);

/** @see RFC 6750 §2.1 (header), §2.2 (form body); exactly one of them. */
function bearerToken(request: FastifyRequest): string {
  const header = singleAuthorization(request);
  const fromBody = (withoutEmptyValues(request.body) as { access_token?: string }).access_token;
  if (header !== undefined && fromBody !== undefined) throw new InvalidRequest('send the access token in one place only');
  if (fromBody !== undefined) return fromBody;
  if (header === undefined) throw new InvalidToken('no access token');
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (match?.[1] === undefined) throw new InvalidToken('the Authorization header is not a Bearer token');
  return match[1];
}

/**
 * A signed JWT for a client that registered a signing alg, or that prefers application/jwt to
 * JSON in its Accept header; JSON otherwise (a client listing both equally gets JSON).
 * @see OIDC Core §5.3.2
 */
function wantsJwt(request: FastifyRequest, registeredAlg: string | undefined): boolean {
  if (registeredAlg !== undefined) return true;
  const quality = acceptQualities(request.headers.accept ?? '');
  const jwt = quality.get('application/jwt') ?? 0;
  const json = Math.max(quality.get('application/json') ?? 0, quality.get('application/*') ?? 0, quality.get('*/*') ?? 0);
  return jwt > json;
}

/** @see RFC 9110 §12.5.1 */
function acceptQualities(accept: string): Map<string, number> {
  const qualities = new Map<string, number>();
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    const value = q === undefined ? 1 : Number(q.slice(2));
    if (type !== '' && Number.isFinite(value)) qualities.set(type, Math.max(qualities.get(type) ?? 0, value));
  }
  return qualities;
}

/** @see OIDC Core §5.3 */
export function registerUserinfo(app: FastifyInstance, context: ProviderContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const token = bearerToken(request);
    const now = context.now();
    const opened = await context.records.getAccessToken(token, now);
    if (opened === undefined) throw new InvalidToken('the access token is invalid, expired or revoked');
    const client = context.clients.get(opened.record.clientId);
    reply.headers(noStore);
    if (client !== undefined && wantsJwt(request, client.userinfoSignedResponseAlg)) {
      const alg = client.userinfoSignedResponseAlg ?? context.config.signingAlg;
      const claims = JSON.parse(opened.userinfo) as UserinfoClaims;
      const jwt = await context.keys.sign({ iss: context.issuer, aud: client.clientId, iat: now, ...claims }, alg);
      return reply.type('application/jwt').send(jwt);
    }
    // Fastify's type for an object it serialises itself; a string it would send as text/plain.
    return reply.type('application/json; charset=utf-8').send(opened.userinfo);
  };
  // Relying parties may call it on every page view, at a rate no login sets: failures logged at info, successes at debug.
  const config = { accessLog: 'failures' } as const;
  app.get('/userinfo', { config }, handler);
  app.post('/userinfo', { config, schema: { body: UserinfoBody }, attachValidation: true }, (request, reply) => {
    // The token may come in the header alone, with no body at all. @see OIDC Core §5.3.1
    if (request.validationError !== undefined && request.body !== undefined) throw new InvalidRequest('malformed form body');
    return handler(request, reply);
  });
}
