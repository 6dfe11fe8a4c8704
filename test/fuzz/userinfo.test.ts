// Property-based: /userinfo (GET, POST) under arbitrary Authorization headers, form bodies,
// content types, Accept headers and cookies. Claims come back only for a real access token sent
// in one place; any Accept with a real token gets JSON or a signed JWT, never a failure.
// @see RFC 6750 §2, §3.1; OIDC Core §5.3
import t from 'tap';
import fc from 'fast-check';
import { decodeJwt } from 'jose';
import { confidential, jwtUserinfoClient } from '../helpers/bridge.js';
import {
  acceptArb,
  anyText,
  authorizationArb,
  bodyArb,
  buildFuzzApp,
  checkResponse,
  contentTypeArb,
  cookieArb,
  fuzzSettings,
  headersOf,
  paramsArb,
  reached,
  stringsOf,
} from '../helpers/fuzz.js';

t.setTimeout(10 * 60_000);
const fuzz = await buildFuzzApp(t);
const settings = fuzzSettings(t);

const subject = '4218530917';
const now = Math.floor(Date.now() / 1000);
const realTokens = Object.fromEntries(
  [confidential.clientId, jwtUserinfoClient.clientId].map((clientId) => [
    clientId,
    fuzz.records.issueAccessToken(
      { clientId, expiresAt: now + 3600, grant: `grant-of-${clientId}` },
      { sub: subject, name: 'Kim <b>', email: 'kim@example.com', email_verified: true },
      now,
    ),
  ]),
);
const tokenValues = Object.values(realTokens);

const tokenText = fc.oneof(
  { weight: 3, arbitrary: anyText },
  { weight: 2, arbitrary: fc.constantFrom(...tokenValues).chain((token) => fc.constantFrom(token.slice(1), `${token}x`, token.toUpperCase(), `${token}=`, ` ${token}`, `${token}\t`, `${token},${token}`)) },
);

const request = fc.record({
  method: fc.oneof({ weight: 4, arbitrary: fc.constant('GET') }, { weight: 3, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'PUT', 'DELETE', 'OPTIONS') }),
  path: fc.oneof({ weight: 8, arbitrary: fc.constant('/userinfo') }, { weight: 1, arbitrary: fc.constantFrom('/userinfo/', '/bridge/userinfo', '/userinfo?access_token=x', '/USERINFO') }),
  authorization: fc.oneof(
    { weight: 3, arbitrary: authorizationArb },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', 'DPoP ', 'Basic ', 'Bearer'), tokenText).map(([scheme, token]) => `${scheme}${token}`) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  body: bodyArb(paramsArb([{ access_token: 'not-a-token' }, { access_token: tokenValues[0] ?? '' }], ['access_token', 'claims', 'scope'])),
  contentType: contentTypeArb,
  accept: fc.option(acceptArb, { nil: undefined }),
  cookie: fc.option(cookieArb, { nil: undefined }),
});

/** A real token, presented the way RFC 6750 says, with anything in Accept, cookies and junk alongside. */
const realRequest = fc.record({
  token: fc.constantFrom(...tokenValues),
  placement: fc.constantFrom('get-header', 'post-header', 'post-body'),
  scheme: fc.constantFrom('Bearer ', 'bearer ', 'BEARER ', 'Bearer   '),
  accept: fc.option(acceptArb, { nil: undefined }),
  cookie: fc.option(cookieArb, { nil: undefined }),
  // Surrogates out of names here, not when the form is built: URLSearchParams turns every lone one
  // into U+FFFD, so two names unique here could arrive as one repeated field (an array: 400).
  extra: fc.uniqueArray(fc.tuple(anyText.map((name) => name.slice(0, 200).replace(/[\uD800-\uDFFF]/g, '?')).filter((name) => name !== 'access_token' && name !== ''), anyText.map((value) => value.slice(0, 1000))), {
    maxLength: 3,
    selector: ([name]) => name,
  }),
});

t.test('arbitrary userinfo requests never fail and get claims only with a real token', async (t) => {
  let rejected = 0;
  await fc.assert(
    fc.asyncProperty(request, async (input) => {
      const sendsBody = input.method === 'POST' || input.method === 'PUT' || input.method === 'DELETE';
      const response = await fuzz.app.inject({
        method: input.method as 'GET',
        url: input.path,
        headers: headersOf({ authorization: input.authorization, 'content-type': sendsBody ? input.contentType : undefined, accept: input.accept, cookie: input.cookie }),
        ...(sendsBody && input.body !== undefined ? { payload: input.body } : {}),
      });
      checkResponse(response, { strings: stringsOf(input.authorization, input.body, input.accept, input.cookie) }, fuzz.issuer);
      if (response.statusCode === 200) {
        const presented = [input.authorization ?? '', input.body ?? ''].join(' ');
        if (!tokenValues.some((token) => presented.includes(token))) throw new Error(`claims without a real token: ${response.body}`);
      } else {
        rejected++;
        if (response.statusCode === 401 && !/^Bearer realm="[^"]*", error="invalid_token"/.test(String(response.headers['www-authenticate']))) {
          throw new Error(`401 without a Bearer challenge: ${String(response.headers['www-authenticate'])}`);
        }
      }
    }),
    settings,
  );
  t.ok(reached(settings, rejected), `${rejected} requests turned away`);
  t.same(fuzz.errorLogs, [], 'nothing failed inside the bridge');
});

t.test('a real token sent properly gets the claims as JSON or a signed JWT, whatever else comes along', async (t) => {
  let jwt = 0;
  await fc.assert(
    fc.asyncProperty(realRequest, async (input) => {
      const form = new URLSearchParams(input.extra.map(([name, value]): [string, string] => [name, value.replace(/[\uD800-\uDFFF]/g, '?')]));
      if (input.placement === 'post-body') form.append('access_token', input.token);
      const response = await fuzz.app.inject({
        method: input.placement === 'get-header' ? 'GET' : 'POST',
        url: '/userinfo',
        headers: headersOf({
          authorization: input.placement === 'post-body' ? undefined : `${input.scheme}${input.token}`,
          'content-type': input.placement === 'get-header' ? undefined : 'application/x-www-form-urlencoded',
          accept: input.accept,
          cookie: input.cookie,
        }),
        ...(input.placement === 'get-header' ? {} : { payload: form.toString() }),
      });
      checkResponse(response, { strings: stringsOf(input.accept, input.cookie) }, fuzz.issuer);
      if (response.statusCode !== 200) throw new Error(`a real token refused: ${response.statusCode} ${response.body}`);
      const type = String(response.headers['content-type']);
      const claims = type.startsWith('application/jwt') ? decodeJwt(response.body) : response.json<Record<string, unknown>>();
      if (type.startsWith('application/jwt')) jwt++;
      else if (!type.startsWith('application/json')) throw new Error(`unexpected content type ${type}`);
      if (claims.sub !== subject) throw new Error('wrong subject');
      if (input.token === realTokens[jwtUserinfoClient.clientId] && !type.startsWith('application/jwt')) throw new Error('a client that registered signed userinfo got JSON');
    }),
    { ...settings, numRuns: Math.max(1, Math.floor(settings.numRuns / 5)) },
  );
  t.ok(reached(settings, jwt), `${jwt} answers were signed JWTs`);
});
