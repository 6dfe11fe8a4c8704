// Property-based: /callback/{connectorId} under arbitrary states, codes, errors, cookies (forged,
// tampered, another browser's) and paths, some against a real pending login whose Kakao leg runs
// against the fake Kakao. No case may yield a code. @see RFC 9700 §4.7 (login CSRF), OIDC Core §16.13
import t from 'tap';
import fc from 'fast-check';
import { startFakeKakao } from '../../src/demo/fake-kakao.js';
import { confidential, kakaoApp, publicClient } from '../helpers/bridge.js';
import { pkcePair } from '../helpers/flow.js';
import {
  acceptArb,
  anyText,
  buildFuzzApp,
  checkResponse,
  cookieArb,
  encode,
  fuzzIssuer,
  fuzzSettings,
  headersOf,
  nameArb,
  queryString,
  reached,
  stringsOf,
  type Encoding,
  type FuzzApp,
  type Pair,
} from '../helpers/fuzz.js';

t.setTimeout(10 * 60_000);
const kakao = await startFakeKakao();
t.teardown(() => kakao.close());
kakao.addApp({ clientId: kakaoApp.clientId, clientSecret: kakaoApp.clientSecret, redirectUris: [`${fuzzIssuer}/callback/kakao`] });
const fuzz: FuzzApp = await buildFuzzApp(t, { kakaoUrl: kakao.url });
const settings = fuzzSettings(t);

interface PendingLogin {
  /** The bridge's state at Kakao (the login id). */
  loginId: string;
  /** `kob_browser=…` as the bridge set it. */
  cookie: string;
  /** The state the client sent, which an error redirect must carry back. */
  clientState: string;
}

let counter = 0;

/** A login started at /authorize, waiting for Kakao's redirect back. */
async function startLogin(app: FuzzApp, publicFlow: boolean): Promise<PendingLogin> {
  const clientState = `client-state-${++counter}`;
  const query = new URLSearchParams(
    publicFlow
      ? { client_id: publicClient.clientId, redirect_uri: publicClient.redirectUri, response_type: 'code', scope: 'openid', state: clientState, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }
      : { client_id: confidential.clientId, redirect_uri: confidential.redirectUri, response_type: 'code', scope: 'openid profile', state: clientState },
  );
  const response = await app.app.inject({ method: 'GET', url: `/authorize?${query.toString()}` });
  const loginId = new URL(String(response.headers.location)).searchParams.get('state');
  const cookie = String(response.headers['set-cookie']).split(';')[0];
  if (response.statusCode !== 302 || loginId === null || cookie === undefined) throw new Error(`no login: ${response.statusCode} ${response.body}`);
  return { loginId, cookie, clientState };
}

type CookieCase = 'correct' | 'other-browser' | 'tampered' | 'random' | 'absent' | 'correct-among-junk' | 'other-then-correct';
type StateCase = 'real' | 'random' | 'absent' | 'repeated' | 'real-changed';

const callbackParams = ['state', 'code', 'error', 'error_description'];
const kakaoCode = fc.base64String({ minLength: 40, maxLength: 90 }).map((text) => text.replace(/[+/=]/g, '_'));
const encodingArb: fc.Arbitrary<Encoding> = fc.constantFrom<Encoding>('component', 'component', 'raw', 'form');

const request = fc.record({
  login: fc.constantFrom('none', 'confidential', 'confidential', 'public'),
  cookieCase: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<CookieCase>('correct', 'correct-among-junk') },
    { weight: 4, arbitrary: fc.constantFrom<CookieCase>('other-browser', 'tampered', 'random', 'absent', 'other-then-correct') },
  ),
  stateCase: fc.oneof(
    { weight: 6, arbitrary: fc.constant<StateCase>('real') },
    { weight: 4, arbitrary: fc.constantFrom<StateCase>('random', 'absent', 'repeated', 'real-changed') },
  ),
  randomState: anyText,
  code: fc.option(fc.oneof({ weight: 3, arbitrary: kakaoCode }, { weight: 1, arbitrary: anyText }), { nil: undefined }),
  error: fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom('access_denied', 'server_error', 'consent_required', 'KOE101'), anyText) },
  ),
  errorDescription: fc.option(anyText, { nil: undefined }),
  extra: fc.array(
    fc.tuple(fc.oneof({ weight: 4, arbitrary: anyText.filter((name) => !callbackParams.includes(name)) }, { weight: 1, arbitrary: nameArb(callbackParams) }), anyText),
    { maxLength: 3 },
  ),
  encodings: fc.array(encodingArb, { minLength: 8, maxLength: 8 }),
  randomCookie: cookieArb,
  connector: fc.oneof(
    { weight: 8, arbitrary: fc.constant('kakao') },
    { weight: 1, arbitrary: fc.constantFrom('KAKAO', 'kakao ', 'other', '', 'kakao%00', '..%2fkakao', 'kakao/x', 'x'.repeat(65), '%E0%A4') },
    { weight: 1, arbitrary: anyText.map((text) => encode(text.slice(0, 100), 'component').slice(0, 300)) },
  ),
  prefix: fc.constantFrom('', '', '', '', '/bridge'),
  method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'HEAD', 'POST'),
  accept: fc.option(acceptArb, { nil: undefined }),
});

function flip(text: string, at: number): string {
  const index = at % text.length;
  const replaced = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replaced + text.slice(index + 1);
}

t.test('arbitrary callbacks never fail, never issue a code, and send errors only to the login’s client with its state', async (t) => {
  let exchanged = 0;
  let errorRedirects = 0;
  await fc.assert(
    fc.asyncProperty(request, async (input) => {
      const login = input.login === 'none' ? undefined : await startLogin(fuzz, input.login === 'public');
      const other = input.cookieCase === 'other-browser' || input.cookieCase === 'other-then-correct' ? await startLogin(fuzz, false) : undefined;
      const loginId = login?.loginId ?? 'no-such-login';

      const pairs: [string, string][] = [];
      if (input.stateCase === 'real') pairs.push(['state', loginId]);
      else if (input.stateCase === 'random') pairs.push(['state', input.randomState]);
      else if (input.stateCase === 'repeated') pairs.push(['state', loginId], ['state', input.randomState]);
      else if (input.stateCase === 'real-changed') pairs.push(['state', flip(loginId, input.randomState.length)]);
      if (input.code !== undefined) pairs.push(['code', input.code]);
      if (input.error !== undefined) pairs.push(['error', input.error]);
      if (input.errorDescription !== undefined) pairs.push(['error_description', input.errorDescription]);
      pairs.push(...input.extra);
      const encoded: Pair[] = pairs.map(([name, value], index) => [name, value, input.encodings[index % input.encodings.length] ?? 'component']);

      const correct = login?.cookie ?? 'kob_browser=nothing';
      const cookies: Record<CookieCase, string | undefined> = {
        correct,
        'other-browser': other?.cookie,
        tampered: flip(correct, input.randomState.length + 12),
        random: input.randomCookie,
        absent: undefined,
        'correct-among-junk': `${input.randomCookie}; ${correct}; theme=dark`,
        'other-then-correct': `${other?.cookie ?? ''}; ${correct}`,
      };
      const query = queryString(encoded);
      const response = await fuzz.app.inject({
        method: input.method as 'GET',
        url: `${input.prefix}/callback/${input.connector}${query === '' ? '' : `?${query}`}`,
        headers: headersOf({ cookie: cookies[input.cookieCase], accept: input.accept }),
      });
      checkResponse(response, { strings: stringsOf(encoded, input.randomCookie) }, fuzz.issuer);
      if (response.statusCode === 302) {
        errorRedirects++;
        const location = new URL(String(response.headers.location));
        if (login === undefined) throw new Error('a redirect without a pending login');
        if (location.searchParams.get('state') !== login.clientState) throw new Error(`the state of another login: ${location.href}`);
        const error = location.searchParams.get('error') ?? '';
        if (!['access_denied', 'server_error', 'temporarily_unavailable'].includes(error)) throw new Error(`unexpected error ${error}`);
        if (input.error === undefined) exchanged++;
      }
    }),
    settings,
  );
  t.ok(reached(settings, errorRedirects), `${errorRedirects} callbacks of a real login ended as an error redirect to its client`);
  t.ok(reached(settings, exchanged), `${exchanged} of them exchanged a forged code with (fake) Kakao`);
  t.same(fuzz.errorLogs, [], 'nothing failed inside the bridge');
  t.equal((await fuzz.app.inject('/healthz')).statusCode, 200, 'still serving');
});
