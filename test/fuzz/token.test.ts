// Property-based: /token under arbitrary forms, content types, Authorization headers and client
// assertions, and against real issued codes presented with at least one thing wrong (client,
// secret, redirect_uri, PKCE verifier, grant type or the code itself). No case may get a token.
// @see RFC 6749 §4.1.3, §5.2; RFC 7636 §4.6; RFC 7523 §3; RFC 9700 §2.1.1
import { randomUUID } from 'node:crypto';
import t from 'tap';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { confidential, jwtUserinfoClient, publicClient } from '../helpers/bridge.js';
import { pkcePair } from '../helpers/flow.js';
import {
  anyText,
  authorizationArb,
  bodyArb,
  buildFuzzApp,
  checkResponse,
  contentTypeArb,
  cookieArb,
  encode,
  fuzzSettings,
  headersOf,
  paramsArb,
  queryString,
  reached,
  stringsOf,
} from '../helpers/fuzz.js';

t.setTimeout(10 * 60_000);
const fuzz = await buildFuzzApp(t);
const settings = fuzzSettings(t);
const tokenEndpoint = `${fuzz.issuer}/token`;
const jwtBearer = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Client {
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
}
const clients: Record<string, Client> = { logto: confidential, spa: publicClient, 'signed-userinfo': jwtUserinfoClient };

/** client_secret_basic: both parts form-encoded. @see RFC 6749 §2.3.1 */
function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encode(id, 'component')}:${encode(secret, 'component')}`).toString('base64')}`;
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** A JWT-shaped string: any alg (none included), claims that are nearly right, a random signature. */
const forgedAssertion = fc
  .record({
    alg: fc.constantFrom('none', 'HS256', 'HS512', 'RS256', 'ES256', 'hs256', 'None', ''),
    sub: fc.constantFrom(confidential.clientId, jwtUserinfoClient.clientId, publicClient.clientId, '', 'nobody'),
    aud: fc.constantFrom(tokenEndpoint, fuzz.issuer, 'https://evil.example/token', ''),
    exp: fc.constantFrom(0, -1, 1e20, Math.floor(Date.now() / 1000) + 60, '60', null),
    signature: fc.base64String({ maxLength: 64 }),
    raw: fc.option(anyText, { nil: undefined }),
  })
  .map(({ alg, sub, aud, exp, signature, raw }) =>
    raw ?? `${b64url(JSON.stringify({ alg, typ: 'JWT' }))}.${b64url(JSON.stringify({ iss: sub, sub, aud, exp, jti: 'j' }))}.${signature.replace(/=+$/, '')}`,
  );

const flaws = ['none', 'aud', 'expired', 'too-long', 'secret', 'iss'] as const;
type Flaw = (typeof flaws)[number];

/** Signed with the client's real secret, but wrong in one claim (or right: then client auth passes). */
async function signedAssertion(client: Client, flaw: Flaw): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const exp = flaw === 'expired' ? now - 600 : flaw === 'too-long' ? now + 7200 : now + 60;
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(flaw === 'iss' ? 'someone-else' : client.clientId)
    .setSubject(client.clientId)
    .setAudience(flaw === 'aud' ? 'https://evil.example/token' : tokenEndpoint)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(flaw === 'secret' ? 'not-the-secret' : (client.clientSecret ?? 'none')));
}

const known = ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'refresh_token', 'scope'];
const bases: Record<string, string>[] = [
  { grant_type: 'authorization_code', code: 'not-a-code', redirect_uri: confidential.redirectUri, client_id: confidential.clientId, client_secret: confidential.clientSecret },
  { grant_type: 'authorization_code', code: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', redirect_uri: publicClient.redirectUri, client_id: publicClient.clientId, code_verifier: pkcePair().verifier },
  { grant_type: 'refresh_token', refresh_token: 'r', client_id: confidential.clientId, client_secret: confidential.clientSecret },
  { grant_type: 'client_credentials', scope: 'openid', client_assertion_type: jwtBearer, client_assertion: 'x.y.z' },
];
const params = paramsArb(bases, known);

/** Arbitrary requests: nothing about them is known to be valid. */
const randomRequest = fc.record({
  kind: fc.constant('random' as const),
  method: fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'HEAD', 'OPTIONS') }),
  path: fc.oneof({ weight: 8, arbitrary: fc.constant('/token') }, { weight: 1, arbitrary: fc.constantFrom('/token/', '/bridge/token', '/TOKEN', '/token?grant_type=authorization_code') }),
  body: bodyArb(params),
  assertion: fc.option(
    fc.oneof(
      forgedAssertion.map((forged) => ({ forged, flaw: undefined })),
      fc.constantFrom(...flaws).map((flaw) => ({ forged: undefined, flaw })),
    ),
    { nil: undefined, freq: 4 },
  ),
  contentType: contentTypeArb,
  authorization: fc.option(fc.oneof({ weight: 3, arbitrary: authorizationArb }, { weight: 1, arbitrary: fc.constant(basic(confidential.clientId, confidential.clientSecret)) }), { nil: undefined, freq: 2 }),
  cookie: fc.option(cookieArb, { nil: undefined, freq: 4 }),
});

type Auth = 'right' | 'wrong-secret' | 'other-client' | 'none' | 'two-methods' | 'bad-assertion';
type Choice = 'right' | 'wrong' | 'absent';

/** A real code, presented with at least one thing wrong. */
const realCodeRequest = fc
  .record({
    kind: fc.constant('real-code' as const),
    issuedTo: fc.constantFrom('logto', 'spa', 'signed-userinfo'),
    pkce: fc.boolean(),
    auth: fc.constantFrom<Auth>('right', 'right', 'wrong-secret', 'other-client', 'none', 'two-methods', 'bad-assertion'),
    method: fc.constantFrom('post', 'basic', 'jwt'),
    otherClient: fc.constantFrom('logto', 'spa', 'signed-userinfo'),
    redirect: fc.constantFrom<Choice>('right', 'right', 'wrong', 'absent'),
    verifier: fc.constantFrom<Choice>('right', 'right', 'wrong', 'absent'),
    grant: fc.constantFrom<Choice>('right', 'right', 'right', 'wrong', 'absent'),
    code: fc.constantFrom<Choice>('right', 'right', 'right', 'wrong'),
    wrong: anyText.filter((text) => text !== ''),
    extra: fc.array(fc.tuple(anyText.filter((name) => !known.includes(name)), anyText), { maxLength: 2 }),
    contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/x-www-form-urlencoded') }, { weight: 1, arbitrary: contentTypeArb }),
  })
  .map((input) => ({ ...input, pkce: input.pkce || input.issuedTo === 'spa' }))
  // A spa code with a "right" auth is the public client; the same for a confidential one is its secret.
  .filter((input) => {
    const client = clients[input.issuedTo];
    const authRight = input.auth === 'right' || (input.auth === 'other-client' && input.otherClient === input.issuedTo);
    const verifierRight = input.pkce ? input.verifier === 'right' : input.verifier !== 'wrong';
    const wrongIsWrong = input.wrong !== client?.redirectUri && input.wrong !== 'authorization_code';
    return wrongIsWrong && !(authRight && input.redirect === 'right' && verifierRight && input.grant === 'right' && input.code === 'right');
  });

type RealCodeInput = typeof realCodeRequest extends fc.Arbitrary<infer T> ? T : never;

async function realCodeForm(input: RealCodeInput): Promise<{ form: [string, string][]; headers: Record<string, string> }> {
  const issuedTo = clients[input.issuedTo] ?? confidential;
  const { verifier, challenge } = pkcePair();
  const code = `code-${randomUUID()}`;
  await fuzz.records.putCode(
    code,
    {
      clientId: issuedTo.clientId,
      redirectUri: issuedTo.redirectUri,
      codeChallenge: input.pkce ? challenge : undefined,
      nonce: 'n',
      scopes: ['openid', 'profile'],
      subject: '4218530917',
      claims: { name: 'Kim' },
      authTime: Math.floor(Date.now() / 1000),
      browser: 'b',
      state: undefined,
    },
    60,
  );
  const form: [string, string][] = [];
  const headers: Record<string, string> = {};
  const pick = (choice: Choice, right: string): string | undefined => (choice === 'right' ? right : choice === 'wrong' ? input.wrong : undefined);
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) form.push([name, value]);
  };
  add('grant_type', pick(input.grant, 'authorization_code'));
  add('code', input.code === 'right' ? code : input.code === 'wrong' ? `${code}x` : undefined);
  add('redirect_uri', pick(input.redirect, issuedTo.redirectUri));
  if (input.pkce) add('code_verifier', pick(input.verifier, verifier));
  else if (input.verifier === 'wrong') add('code_verifier', verifier);

  const authAs = async (client: Client, secret: string | undefined) => {
    if (client.clientSecret === undefined) add('client_id', client.clientId);
    else if (input.method === 'basic') headers.authorization = basic(client.clientId, secret ?? '');
    else if (input.method === 'jwt') {
      add('client_assertion_type', jwtBearer);
      add('client_assertion', await signedAssertion(client, secret === client.clientSecret ? 'none' : 'secret'));
    } else {
      add('client_id', client.clientId);
      add('client_secret', secret ?? '');
    }
  };
  const other = clients[input.otherClient] ?? confidential;
  switch (input.auth) {
    case 'right':
      await authAs(issuedTo, issuedTo.clientSecret);
      break;
    case 'wrong-secret':
      if (issuedTo.clientSecret === undefined) add('client_id', `${issuedTo.clientId}x`);
      else await authAs(issuedTo, `${issuedTo.clientSecret}${input.wrong}`);
      break;
    case 'other-client':
      await authAs(other, other.clientSecret);
      break;
    case 'none':
      break;
    case 'two-methods':
      headers.authorization = basic(issuedTo.clientId, issuedTo.clientSecret ?? '');
      add('client_id', issuedTo.clientId);
      add('client_secret', issuedTo.clientSecret ?? input.wrong);
      break;
    case 'bad-assertion':
      add('client_assertion_type', jwtBearer);
      add('client_assertion', await signedAssertion(issuedTo.clientSecret === undefined ? confidential : issuedTo, input.method === 'jwt' ? 'aud' : 'expired'));
      break;
  }
  form.push(...input.extra);
  return { form, headers };
}

t.test('arbitrary token requests, and real codes with anything wrong, never get a token and never fail', async (t) => {
  const counts = { random: 0, realCode: 0, invalidGrant: 0, invalidClient: 0 };
  await fc.assert(
    fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: randomRequest }, { weight: 2, arbitrary: realCodeRequest }), async (input) => {
      let response;
      let strings: string[];
      if (input.kind === 'random') {
        counts.random++;
        let body = input.body;
        if (input.assertion !== undefined) {
          const assertion = input.assertion.forged === undefined ? await signedAssertion(confidential, input.assertion.flaw) : input.assertion.forged;
          body = `${body ?? ''}&client_assertion_type=${encodeURIComponent(jwtBearer)}&client_assertion=${encode(assertion, 'component')}`;
        }
        const sendsBody = input.method !== 'GET' && input.method !== 'HEAD' && input.method !== 'OPTIONS';
        response = await fuzz.app.inject({
          method: input.method as 'POST',
          url: input.path,
          headers: headersOf({ 'content-type': sendsBody ? input.contentType : undefined, authorization: input.authorization, cookie: input.cookie }),
          ...(sendsBody && body !== undefined ? { payload: body } : {}),
        });
        strings = stringsOf(body, input.authorization, input.cookie);
      } else {
        counts.realCode++;
        const { form, headers } = await realCodeForm(input);
        const body = queryString(form.map(([name, value]) => [name, value, 'component'] as const));
        response = await fuzz.app.inject({ method: 'POST', url: '/token', headers: { ...headers, 'content-type': input.contentType ?? 'text/plain' }, payload: body });
        strings = stringsOf(body);
      }
      checkResponse(response, { strings }, fuzz.issuer);
      if (response.statusCode === 200 || /access_token|id_token/.test(response.body)) throw new Error(`a token was issued: ${response.body}`);
      const error = /"error":"(\w+)"/.exec(response.body)?.[1];
      if (error === 'invalid_grant') counts.invalidGrant++;
      if (error === 'invalid_client') {
        counts.invalidClient++;
        if (response.statusCode !== 401 || !/^Basic realm=/.test(String(response.headers['www-authenticate']))) throw new Error('invalid_client without 401 and a challenge');
      }
    }),
    settings,
  );
  t.comment(JSON.stringify(counts));
  t.ok(reached(settings, counts.invalidGrant) && reached(settings, counts.invalidClient), 'clients were authenticated and codes checked (not all requests stopped at the door)');
  const metrics = (await fuzz.app.inject('/metrics')).body;
  t.notMatch(metrics, /tokens_issued_total\{[^}]*\} [1-9]/, 'the tokens_issued metric counted nothing');
  t.same(fuzz.errorLogs, [], 'nothing failed inside the bridge');
});

t.test('control: the same requests with nothing wrong do get tokens', async (t) => {
  for (const [issuedTo, method] of [['logto', 'post'], ['logto', 'basic'], ['logto', 'jwt'], ['spa', 'post'], ['signed-userinfo', 'basic']] as const) {
    const { form, headers } = await realCodeForm({
      kind: 'real-code',
      issuedTo,
      pkce: issuedTo === 'spa',
      auth: 'right',
      method,
      otherClient: issuedTo,
      redirect: 'right',
      verifier: 'right',
      grant: 'right',
      code: 'right',
      wrong: 'x',
      extra: [],
      contentType: 'application/x-www-form-urlencoded',
    });
    const response = await fuzz.app.inject({
      method: 'POST',
      url: '/token',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(form).toString(),
    });
    t.equal(response.statusCode, 200, `${issuedTo} with ${method}: ${response.body.slice(0, 120)}`);
    t.match(response.json(), { access_token: String, token_type: 'Bearer' });
  }
});
