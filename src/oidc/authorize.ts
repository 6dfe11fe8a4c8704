import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import type { ClientConfig } from '../config.js';
import { ErrorPage, ErrorRedirect, InvalidRequest, LoginRequired, OAuthError, RequestNotSupported, UnsupportedResponseType } from '../errors.js';
import type { Connector } from '../upstream/connector.js';
import { grantedScopes } from './claims.js';
import type { ProviderContext } from './context.js';
import { storeFailureRedirect } from './error-handler.js';
import { withoutEmptyValues } from './params.js';
import { isS256Challenge, s256 } from './pkce.js';
import { randomToken } from './secrets.js';

const text = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
const maxStateLength = 2048;

/** Every parameter is a single string: a repeated one fails here. @see RFC 6749 §3.1 */
export const AuthorizeParams = Type.Object(
  {
    client_id: text(255),
    redirect_uri: text(2048),
    response_type: text(64),
    response_mode: text(64),
    scope: text(1024),
    state: text(maxStateLength),
    nonce: text(512),
    code_challenge: text(128),
    code_challenge_method: text(16),
    prompt: text(128),
    max_age: text(10),
    login_hint: text(256),
    connector_id: text(64),
    request: text(8192),
    request_uri: text(2048),
  },
  { additionalProperties: Type.String({ maxLength: 4096 }) },
);
export type AuthorizeParams = Static<typeof AuthorizeParams>;

export interface ValidAuthorization {
  client: ClientConfig;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scopes: string[];
  codeChallenge: string | undefined;
  connector: Connector;
  upstreamPrompt: string[];
  loginHint: string | undefined;
}

type AuthorizeContext = Pick<ProviderContext, 'clients' | 'connectors'>;

const knownPrompts = new Set(['none', 'login', 'consent', 'select_account', 'create']);

/**
 * Checks an authorization request in order. Until the client and its redirect_uri are known the
 * browser gets a page (ErrorPage); after that, every error goes back to the client (ErrorRedirect).
 * @see RFC 6749 §4.1.2.1
 */
export function validateAuthorization(params: AuthorizeParams, context: AuthorizeContext): ValidAuthorization {
  const { client, redirectUri } = checkClientAndRedirectUri(params, context);
  try {
    checkNoRequestObject(params);
    checkResponseType(params);
    checkResponseMode(params);
    const prompt = checkPrompt(params);
    return {
      client,
      redirectUri,
      state: params.state,
      nonce: params.nonce,
      scopes: grantedScopes(params.scope),
      codeChallenge: checkPkce(params, client),
      connector: checkConnector(params, client, context),
      upstreamPrompt: checkMaxAge(params) === undefined || prompt.includes('login') ? prompt : [...prompt, 'login'],
      loginHint: params.login_hint,
    };
  } catch (error) {
    if (error instanceof OAuthError) throw new ErrorRedirect({ redirectUri, state: params.state }, error);
    throw error;
  }
}

/** @see RFC 6749 §3.1.2.3, §4.1.2.1: exact match against a registered URI, never redirected otherwise. */
export function checkClientAndRedirectUri(params: Record<string, unknown>, context: AuthorizeContext): { client: ClientConfig; redirectUri: string } {
  const { client_id: clientId, redirect_uri: redirectUri } = params;
  if (typeof clientId !== 'string') throw new ErrorPage('Invalid request', 'client_id is missing or repeated.');
  const client = context.clients.get(clientId);
  if (client === undefined) throw new ErrorPage('Unknown client', 'This application is not registered with the sign-in service.');
  if (typeof redirectUri !== 'string') throw new ErrorPage('Invalid request', 'redirect_uri is missing or repeated.');
  if (!client.redirectUris.includes(redirectUri)) {
    throw new ErrorPage('Invalid redirect_uri', 'The redirect_uri is not registered for this application.');
  }
  return { client, redirectUri };
}

/** @see OIDC Core §6: request objects are not supported (discovery says so too). */
function checkNoRequestObject(params: AuthorizeParams): void {
  if (params.request !== undefined) throw new RequestNotSupported('request');
  if (params.request_uri !== undefined) throw new RequestNotSupported('request_uri');
}

/** @see RFC 6749 §4.1.1: only the authorization code flow. */
function checkResponseType(params: AuthorizeParams): void {
  if (params.response_type === undefined) throw new InvalidRequest('response_type is required');
  if (params.response_type !== 'code') throw new UnsupportedResponseType('only response_type=code is supported');
}

/** @see OAuth 2.0 Multiple Response Type Encoding Practices §2.1 */
function checkResponseMode(params: AuthorizeParams): void {
  if (params.response_mode !== undefined && params.response_mode !== 'query') {
    throw new InvalidRequest('only response_mode=query is supported');
  }
}

/**
 * The bridge keeps no login session of its own, so it can never answer prompt=none silently:
 * login_required, at once. @see OIDC Core §3.1.2.1, §3.1.2.6
 */
function checkPrompt(params: AuthorizeParams): string[] {
  const prompt = (params.prompt ?? '').split(' ').filter((value) => value !== '');
  const unknown = prompt.find((value) => !knownPrompts.has(value));
  if (unknown !== undefined) throw new InvalidRequest(`unsupported prompt value "${unknown.slice(0, 32)}"`);
  if (prompt.includes('none')) {
    if (prompt.length > 1) throw new InvalidRequest('prompt=none cannot be combined with other values');
    throw new LoginRequired('the bridge cannot sign a user in without interaction');
  }
  return prompt;
}

/**
 * Kakao does not tell how old its own session is, so any max_age is honoured by asking Kakao to
 * authenticate the user again (prompt=login); auth_time is then the time of that login.
 * @see OIDC Core §3.1.2.1
 */
function checkMaxAge(params: AuthorizeParams): number | undefined {
  if (params.max_age === undefined) return undefined;
  if (!/^\d+$/.test(params.max_age)) throw new InvalidRequest('max_age must be a non-negative integer');
  return Number(params.max_age);
}

/** @see RFC 7636 §4.3, §4.4.1; RFC 9700 §2.1.1: S256 only, required for public clients. */
function checkPkce(params: AuthorizeParams, client: ClientConfig): string | undefined {
  const { code_challenge: challenge, code_challenge_method: method } = params;
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method without code_challenge');
    if (client.clientSecret === undefined) throw new InvalidRequest('PKCE (code_challenge with S256) is required for this client');
    return undefined;
  }
  if (method !== 'S256') throw new InvalidRequest('code_challenge_method must be S256');
  if (!isS256Challenge(challenge)) throw new InvalidRequest('code_challenge is not a valid S256 challenge');
  return challenge;
}

function checkConnector(params: AuthorizeParams, client: ClientConfig, context: AuthorizeContext): Connector {
  const requested = params.connector_id;
  let id = requested;
  if (id === undefined) {
    if (client.connectorIds.length > 1) throw new InvalidRequest(`connector_id is required: one of ${client.connectorIds.join(', ')}`);
    id = client.connectorIds[0];
  }
  const connector = id === undefined || !client.connectorIds.includes(id) ? undefined : context.connectors.get(id);
  if (connector === undefined) throw new InvalidRequest('unknown connector_id for this client');
  return connector;
}

export function registerAuthorize(app: FastifyInstance, context: ProviderContext): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const params = withoutEmptyValues(request.method === 'GET' ? request.query : request.body);
    if (request.validationError !== undefined) {
      const { redirectUri } = checkClientAndRedirectUri(params, context);
      // A state that failed validation (repeated, or longer than any client needs) is not echoed back.
      const state = typeof params.state === 'string' && params.state.length <= maxStateLength ? params.state : undefined;
      throw new ErrorRedirect({ redirectUri, state }, new InvalidRequest('a parameter is repeated, malformed or too long'));
    }
    const valid = validateAuthorization(params, context);
    const loginId = randomToken();
    const upstreamVerifier = randomToken();
    const { loginTtl } = context.config;
    const browser = context.binding.bind(request, reply, loginTtl);
    await context.records.putLogin(
      loginId,
      {
        clientId: valid.client.clientId,
        redirectUri: valid.redirectUri,
        state: valid.state,
        nonce: valid.nonce,
        scopes: valid.scopes,
        codeChallenge: valid.codeChallenge,
        connectorId: valid.connector.id,
        upstreamVerifier,
        browser,
      },
      loginTtl,
    ).catch(storeFailureRedirect({ redirectUri: valid.redirectUri, state: valid.state }));
    const upstreamUrl = valid.connector.authorizationUrl({
      state: loginId,
      redirectUri: context.endpoints.callback(valid.connector.id),
      codeChallenge: s256(upstreamVerifier),
      prompt: valid.upstreamPrompt,
      loginHint: valid.loginHint,
    });
    context.metrics.loginStarted(valid.connector.id);
    return reply.header('cache-control', 'no-store').redirect(upstreamUrl, 302);
  };
  app.get('/authorize', { schema: { querystring: AuthorizeParams }, attachValidation: true }, handler);
  app.post('/authorize', { schema: { body: AuthorizeParams }, attachValidation: true }, handler);
}
