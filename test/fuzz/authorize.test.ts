// Property-based: /authorize (GET query, POST form) under arbitrary parameters, bodies, content
// types and headers. @see RFC 6749 §4.1.2.1 (no redirect to an unverified redirect_uri), RFC 9700 §4.11 (open redirectors)
import t from 'tap';
import fc from 'fast-check';
import { confidential, publicClient } from '../helpers/bridge.js';
import { pkcePair } from '../helpers/flow.js';
import {
  acceptArb,
  authorizationArb,
  bodyArb,
  buildFuzzApp,
  checkResponse,
  contentTypeArb,
  cookieArb,
  fuzzSettings,
  headersOf,
  headerText,
  paramsArb,
  queryString,
  reached,
  stringsOf,
} from '../helpers/fuzz.js';

t.setTimeout(10 * 60_000);
const fuzz = await buildFuzzApp(t);
const settings = fuzzSettings(t);

const known = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'login_hint',
  'connector_id',
  'request',
  'request_uri',
];
const { challenge } = pkcePair();
const bases: Record<string, string>[] = [
  { client_id: confidential.clientId, redirect_uri: confidential.redirectUri, response_type: 'code', scope: 'openid profile email', state: 'rp-state', nonce: 'rp-nonce' },
  {
    client_id: publicClient.clientId,
    redirect_uri: publicClient.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: 'spa-state',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  },
  { client_id: confidential.clientId, redirect_uri: confidential.redirectUri, response_type: 'code', prompt: 'login consent', max_age: '0', login_hint: 'kim', connector_id: 'kakao' },
];
const params = paramsArb(bases, known);

const request = fc.record({
  method: fc.oneof(
    { weight: 8, arbitrary: fc.constant('GET') },
    { weight: 4, arbitrary: fc.constant('POST') },
    { weight: 1, arbitrary: fc.constant('HEAD') },
    { weight: 1, arbitrary: fc.constantFrom('PUT', 'OPTIONS', 'DELETE', 'PATCH') },
  ),
  query: params,
  body: bodyArb(params),
  contentType: contentTypeArb,
  authorization: fc.option(authorizationArb, { nil: undefined }),
  accept: fc.option(acceptArb, { nil: undefined }),
  cookie: fc.option(cookieArb, { nil: undefined }),
  path: fc.oneof(
    { weight: 8, arbitrary: fc.constant('/authorize') },
    { weight: 2, arbitrary: fc.constantFrom('/authorize/', '/bridge/authorize') },
    { weight: 1, arbitrary: fc.constantFrom('/AUTHORIZE', '/authorize%00', '/authorize/..%2fauthorize', '//authorize', '/authorize;x') },
  ),
  host: fc.option(headerText, { nil: undefined }),
  forwardedHost: fc.option(headerText, { nil: undefined }),
});

t.test('arbitrary /authorize requests never fail, never issue a code, never redirect elsewhere, never reflect markup', async (t) => {
  let toKakao = 0;
  let toClient = 0;
  await fc.assert(
    fc.asyncProperty(request, async (input) => {
      const query = queryString(input.query);
      const sendsBody = input.method === 'POST' || input.method === 'PUT';
      const response = await fuzz.app.inject({
        method: input.method as 'GET',
        url: query === '' ? input.path : `${input.path}?${query}`,
        headers: headersOf({
          'content-type': sendsBody ? input.contentType : undefined,
          authorization: input.authorization,
          accept: input.accept,
          cookie: input.cookie,
          host: input.host,
          'x-forwarded-host': input.forwardedHost,
          'x-forwarded-proto': input.forwardedHost === undefined ? undefined : 'https',
        }),
        ...(sendsBody && input.body !== undefined ? { payload: input.body } : {}),
      });
      checkResponse(response, { strings: stringsOf(input.query, input.body, input.authorization, input.cookie, input.host, input.forwardedHost) }, fuzz.issuer, { kakaoAuthorize: fuzz.kakaoAuthorize });
      const location = response.headers.location ?? '';
      if (location.startsWith(fuzz.kakaoAuthorize)) toKakao++;
      else if (location !== '') toClient++;
    }),
    settings,
  );
  t.ok(reached(settings, toKakao), `${toKakao} requests went on to Kakao`);
  t.ok(reached(settings, toClient), `${toClient} error redirects to a client`);
  t.same(fuzz.errorLogs, [], 'nothing failed inside the bridge');
  t.equal((await fuzz.app.inject('/healthz')).statusCode, 200, 'still serving');
});
