// Property-based: whatever Kakao answers (any status, content type and body, near-valid JSON
// included), the response parsers return a usable token / a well-formed identity, or fail with an
// UpstreamError the callback turns into an OAuth error redirect; never anything else. An email is
// never marked verified unless Kakao said it is both valid and verified.
// @see kakao-api.md §2, §3; RFC 6750 §2.1; OIDC Core §5.1, §16 (email_verified)
import t from 'tap';
import fc from 'fast-check';
import { UpstreamError } from '../../src/errors.js';
import type { UpstreamResponse } from '../../src/http/upstream-client.js';
import { parseKakaoTokenResponse, parseKakaoUserResponse } from '../../src/upstream/kakao.js';
import { anyText, fuzzSettings, reached } from '../helpers/fuzz.js';

t.setTimeout(5 * 60_000);
const settings = fuzzSettings(t);

const oauthErrors = new Set(['temporarily_unavailable', 'server_error']);

/** Runs a parser; an UpstreamError with an OAuth error the callback can redirect is a pass. */
function parseOrUpstreamError<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw new Error(`not an UpstreamError: ${String(error)}`, { cause: error });
    if (!oauthErrors.has(error.oauthError.error)) throw new Error(`unexpected OAuth error ${error.oauthError.error}`, { cause: error });
    if (!/^kakao_[a-z_]+$/.test(error.reason)) throw new Error(`unbounded metric reason ${error.reason}`, { cause: error });
    return undefined;
  }
}

const contentType = fc.constantFrom('application/json;charset=UTF-8', 'application/json', 'text/html;charset=utf-8', 'text/plain', '', 'application/problem+json', 'application/jsonx');
const status = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(200, 200, 200, 400, 401, 403, 429, 500, 502, 503) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 599 }) });
const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A body: valid JSON of any shape, a near-valid Kakao body, or text that is not JSON (truncated, HTML, deep). */
function bodyOf(object: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: object.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: object.chain((value) => fc.nat().map((cut) => JSON.stringify(value).slice(0, cut % (JSON.stringify(value).length + 1)))) },
    { weight: 1, arbitrary: anyJson.map((value) => JSON.stringify(value)) },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 5_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)) },
  );
}

const tokenValue = fc.oneof(
  { weight: 4, arbitrary: fc.base64String({ minLength: 1, maxLength: 80 }) },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: fc.constantFrom('kakao-token\r\nX-Injected: 1', 'a b', '토큰', '\u0000', '', 'abc=def', 'Bearer x') },
  { weight: 1, arbitrary: anyJson },
);
const tokenFields = {
  access_token: tokenValue,
  token_type: fc.oneof(fc.constant('bearer'), anyJson),
  refresh_token: fc.string(),
  expires_in: fc.oneof(fc.integer(), anyJson),
  error: fc.constantFrom('invalid_grant', 'invalid_client', 'invalid_request', 'server_error'),
  error_code: fc.constantFrom('KOE237', 'KOE010', 'KOE101', 'KOE003', 'KOE320', 'KOE303', 'KOE999'),
  error_description: anyText,
};
const tokenObject: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 2, arbitrary: fc.record(tokenFields, { requiredKeys: ['access_token', 'token_type'] }) },
  { weight: 1, arbitrary: fc.record(tokenFields, { requiredKeys: [] }) },
);

t.test('a token response gives a token usable as a Bearer header, or an UpstreamError', async (t) => {
  let tokens = 0;
  fc.assert(
    fc.property(status, contentType, bodyOf(tokenObject), (code, type, body) => {
      const response: UpstreamResponse = { status: code, contentType: type, body };
      const token = parseOrUpstreamError(() => parseKakaoTokenResponse(response));
      if (token === undefined) return;
      tokens++;
      if (code !== 200) throw new Error(`a token from a ${code}`);
      if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new Error(`not a b64token: ${JSON.stringify(token)}`);
    }),
    // Found by this property: a token with CR LF was returned, and failed later as a "network" error.
    { ...settings, examples: [[200, 'application/json;charset=UTF-8', JSON.stringify({ access_token: 'kakao-token\r\nX-Injected: 1', token_type: 'bearer' })]] },
  );
  t.ok(reached(settings, tokens), `${tokens} bodies gave a token`);
});

/** An `id` written by hand, so that literals JSON.stringify would never produce come through too. */
const idLiteral = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 1n, max: 9_223_372_036_854_775_807n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-1', '01', '1.0', '1e5', '1E5', '9223372036854775808', '99999999999999999999', '-0', '4218530917.5', 'null', 'true', '"4218530917"', '[1]', '{"id":1}') },
);
const flag = fc.oneof(fc.boolean(), fc.constantFrom('true', 1, null));
const account = fc.record(
  {
    profile: fc.oneof(
      fc.record({ nickname: fc.oneof(anyText, anyJson), profile_image_url: fc.oneof(anyText, anyJson), is_default_image: flag }, { requiredKeys: [] }),
      anyJson,
    ),
    email: fc.oneof(fc.emailAddress(), anyText, anyJson),
    is_email_valid: flag,
    is_email_verified: flag,
    phone_number: fc.oneof(fc.constant('+82 10-1234-5678'), anyText, anyJson),
    gender: fc.oneof(fc.constantFrom('female', 'male', 'other'), anyJson),
    birthyear: fc.oneof(fc.constantFrom('1990', '199', '19900'), anyJson),
    birthday: fc.oneof(fc.constantFrom('0101', '1231', '123', '9999'), anyJson),
    birthday_type: fc.oneof(fc.constantFrom('SOLAR', 'LUNAR'), anyJson),
  },
  { requiredKeys: [] },
);
const userBody = fc
  .record({
    id: fc.option(idLiteral, { nil: undefined, freq: 8 }),
    rest: fc.record({ connected_at: fc.string(), properties: fc.oneof(fc.record({ nickname: fc.oneof(anyText, anyJson) }, { requiredKeys: [] }), anyJson), kakao_account: fc.oneof(account, anyJson) }, { requiredKeys: [] }),
  })
  .map(({ id, rest }) => ({ id, rest, text: id === undefined ? JSON.stringify(rest) : `{"id":${id}${Object.keys(rest).length > 0 ? ',' : ''}${JSON.stringify(rest).slice(1)}` }));

const claimTypes: Record<string, string> = {
  name: 'string',
  nickname: 'string',
  picture: 'string',
  gender: 'string',
  birthdate: 'string',
  email: 'string',
  email_verified: 'boolean',
  phone_number: 'string',
  phone_number_verified: 'boolean',
};

t.test('a /v2/user/me response gives an exact numeric subject and typed claims, or an UpstreamError', async (t) => {
  let identities = 0;
  fc.assert(
    fc.property(status, contentType, fc.oneof({ weight: 5, arbitrary: userBody.map((user) => ({ user, text: user.text })) }, { weight: 1, arbitrary: bodyOf(fc.object()).map((text) => ({ user: undefined, text })) }), (code, type, { user, text }) => {
      const identity = parseOrUpstreamError(() => parseKakaoUserResponse({ status: code, contentType: type, body: text }));
      if (identity === undefined) return;
      identities++;
      if (code !== 200) throw new Error(`an identity from a ${code}`);
      if (!/^[1-9]\d{0,18}$/.test(identity.subject)) throw new Error(`subject ${identity.subject}`);
      if (user !== undefined && identity.subject !== user.id) throw new Error(`subject ${identity.subject} for id ${String(user.id)}`);
      for (const [name, value] of Object.entries(identity.claims)) {
        if (claimTypes[name] === undefined) throw new Error(`unknown claim ${name}`);
        if (typeof value !== claimTypes[name]) throw new Error(`claim ${name} is a ${typeof value}`);
        if (value === '') throw new Error(`empty claim ${name}`);
      }
      if (identity.claims.email_verified === true) {
        const kakaoAccount = (JSON.parse(text) as { kakao_account?: { is_email_valid?: unknown; is_email_verified?: unknown } }).kakao_account;
        if (kakaoAccount?.is_email_valid !== true || kakaoAccount.is_email_verified !== true) throw new Error('email_verified without Kakao verifying it');
      }
    }),
    // Found by this property: a blank phone number became phone_number "" with phone_number_verified true.
    { ...settings, examples: [[200, 'application/json;charset=UTF-8', { user: undefined, text: '{"id":1,"kakao_account":{"phone_number":" - "}}' }]] },
  );
  t.ok(reached(settings, identities), `${identities} bodies gave an identity`);
});
