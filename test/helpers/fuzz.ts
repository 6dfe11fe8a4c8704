/**
 * Shared pieces of the property-based suites in test/fuzz: one app per file (buildApp and
 * app.inject(), no sockets on the bridge side), arbitraries for hostile HTTP input, and the
 * properties every response must keep whatever it was sent.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { cookieSecretFor, requiredAlgs } from '../../src/bootstrap.js';
import { loadConfig, type Config } from '../../src/config.js';
import { KeySet } from '../../src/keys.js';
import { createLogger } from '../../src/logging.js';
import { Records } from '../../src/oidc/records.js';
import { MemoryStore } from '../../src/store/memory.js';
import { bridgeEnv, confidential, jwtUserinfoClient, publicClient, writeClientsFile, type TapLike } from './bridge.js';

// ---- the app under test -------------------------------------------------------------------------

export interface FuzzApp {
  app: FastifyInstance;
  config: Config;
  issuer: string;
  store: MemoryStore;
  /** Writes records straight into the app's store (issued codes, access tokens). */
  records: Records;
  /** Where a valid /authorize sends the browser. */
  kakaoAuthorize: string;
  /** Log lines at level error or above: a request that failed inside the bridge. */
  errorLogs: string[];
}

/** Never listened on: the app is only injected into. */
export const fuzzIssuer = 'http://127.0.0.1:9/bridge';
export const registeredRedirectUris = [confidential.redirectUri, publicClient.redirectUri, jwtUserinfoClient.redirectUri];

/** The bridge as test/helpers/bridge.ts builds it, but not listening. `kakaoUrl` defaults to a closed port. */
export async function buildFuzzApp(t: TapLike, options: { kakaoUrl?: string } = {}): Promise<FuzzApp> {
  const dir = t.testdir();
  const configFile = writeClientsFile(dir);
  const kakaoUrl = options.kakaoUrl ?? 'http://127.0.0.1:9';
  const config = loadConfig({
    ...bridgeEnv(fuzzIssuer, kakaoUrl),
    DATA_DIR: join(dir, 'data'),
    KAKAO_TIMEOUT_MS: '2000',
    CONFIG_FILE: configFile,
    LOG_LEVEL: 'error',
    // The limiters run on every request (their parsing of hostile input is fuzzed too) but never trip.
    RATE_LIMIT_AUTHORIZE: '1000000',
    RATE_LIMIT_CALLBACK: '1000000',
    RATE_LIMIT_TOKEN: '1000000',
  });
  const errorLogs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      errorLogs.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  const store = new MemoryStore();
  const keys = await KeySet.load(config.dataDir, requiredAlgs(config));
  const cookieSecret = await cookieSecretFor(config);
  const app = await buildApp(config, { store, keys, cookieSecret, logger: createLogger(config.logLevel, sink) });
  t.teardown(async () => {
    await app.close();
    await store.close();
  });
  await app.ready();
  return { app, config, issuer: fuzzIssuer, store, records: new Records(store, { secret: cookieSecret, maxAccessTokenTtl: 3600 }), kakaoAuthorize: `${kakaoUrl}/oauth/authorize?`, errorLogs };
}

// ---- run settings -------------------------------------------------------------------------------

export interface FuzzSettings {
  numRuns: number;
  seed: number;
}

/**
 * FUZZ_RUNS (default 10,000) cases per property; FUZZ_SEED replays a run. The seed is printed
 * before the run (and by fast-check with any counterexample), so every failure can be replayed.
 */
export function fuzzSettings(t: { comment(...args: unknown[]): void }): FuzzSettings {
  const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
  const seedText = process.env.FUZZ_SEED;
  const seed = seedText === undefined || seedText === '' ? (Date.now() ^ Math.floor(Math.random() * 0x1_0000_0000)) | 0 : Number(seedText) | 0;
  const numRuns = Number.isInteger(runs) && runs > 0 ? runs : 10_000;
  t.comment(`fuzz: ${numRuns} cases, FUZZ_SEED=${seed}`);
  return { numRuns, seed };
}

/** Whether a run was long enough to expect `count` (a path the generators aim at) to be above zero. */
export function reached(settings: FuzzSettings, count: number): boolean {
  return count > 0 || settings.numRuns < 1000;
}

// ---- arbitraries --------------------------------------------------------------------------------

/** Markup that must never reach a page as markup. */
export const xssPayloads = [
  '<script>alert(1)</script>',
  '"><script>alert(1)</script>',
  "'><img src=x onerror=alert(1)>",
  '"><svg/onload=alert(1)>',
  '<iframe src="javascript:alert(1)">',
  '</title><script>alert(document.cookie)</script>',
  '<ScRiPt >alert(1)</sCrIpT>',
  '" autofocus onfocus="alert(1)',
  'javascript:alert(1)//"><img src=x>',
];

/** Percent-encoding garbage and characters with a meaning in a query string. */
const percentGarbage = ['%', '%%', '%zz', '%E0%A4', '%C0%AF', '%00', '%u0041', '%2', '%25', '%%41', '%ff%fe', '%F0%9F%98', '%0d%0aSet-Cookie:%20x=1', '%0A', '%ED%A0%80', '+', '&', '=', ';', '#', '?', '%26', '%3D', '%23'];

const oddValues = [
  '',
  ' ',
  '  ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e999',
  '0x10',
  'true',
  '[]',
  '{}',
  '[object Object]',
  '\u0000',
  '\uFEFF',
  '\u202E',
  '\uD800',
  '\uDFFF',
  '𝒳𝒴',
  '카카오 로그인',
  'e\u0301',
  '\r\n',
  '\t',
  '../../etc/passwd',
  'http://evil.example/cb',
  '//evil.example',
  `${confidential.redirectUri}/../evil`,
  `${confidential.redirectUri}?x=1`,
  `${confidential.redirectUri}#frag`,
  confidential.redirectUri.toUpperCase(),
];

/** A long value: over a length limit, or over the body limit when repeated a few times. */
export const hugeText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('A', '%', '<', '한', '%zz', '"><', '=&'), fc.integer({ min: 257, max: 24_000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const shortText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 16 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom(...xssPayloads) },
  { weight: 2, arbitrary: fc.constantFrom(...percentGarbage) },
  { weight: 2, arbitrary: fc.constantFrom(...oddValues) },
  { weight: 1, arbitrary: fc.base64String({ maxLength: 64 }) },
);

/** Any string a hostile client could send as a parameter value (or name). */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: shortText },
  { weight: 3, arbitrary: fc.array(shortText, { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: hugeText },
);

export type Encoding = 'component' | 'raw' | 'form' | 'bare';
export type Pair = readonly [name: string, value: string, encoding: Encoding];

const encodingArb: fc.Arbitrary<Encoding> = fc.constantFrom<Encoding>('component', 'component', 'raw', 'form', 'bare');

/** A parameter name: mostly the endpoint's own (so repeats happen), sometimes anything. */
export function nameArb(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...known) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', `${known[0] ?? 'x'}[]`, 'a[b]', '', ' state', known[0]?.toUpperCase() ?? 'X') },
    { weight: 2, arbitrary: shortText },
  );
}

/**
 * Parameters from a valid request, then mangled: some dropped, some replaced or repeated
 * (a second value for the same name), some added; in any order, each with its own encoding.
 */
export function paramsArb(bases: readonly Record<string, string>[], known: readonly string[]): fc.Arbitrary<Pair[]> {
  const base = fc.constantFrom(...bases);
  const unknownName = shortText.filter((name) => !known.includes(name));
  // Valid but for extra parameters the endpoint does not know (they must be ignored).
  const extended = base.chain((entries) =>
    fc.array(fc.tuple(unknownName, anyText), { maxLength: 3 }).map((added) => [...Object.entries(entries), ...added]),
  );
  // Valid but for one value.
  const oneChanged = base.chain((entries) =>
    fc.tuple(fc.constantFrom(...Object.keys(entries)), anyText).map(([name, value]) => Object.entries({ ...entries, [name]: value })),
  );
  const mangled = base.chain((entries) =>
    fc
      .record({
        kept: fc.subarray(Object.entries(entries)),
        changed: fc.array(fc.tuple(fc.constantFrom(...Object.keys(entries)), anyText), { maxLength: 3 }),
        added: fc.array(fc.tuple(nameArb(known), anyText), { maxLength: 4 }),
      })
      .chain(({ kept, changed, added }) => fc.shuffledSubarray([...kept, ...changed, ...added], { minLength: kept.length })),
  );
  const random = fc.array(fc.tuple(nameArb(known), anyText), { maxLength: 8 });
  return fc
    .oneof({ weight: 2, arbitrary: extended }, { weight: 2, arbitrary: oneChanged }, { weight: 3, arbitrary: mangled }, { weight: 1, arbitrary: random })
    .chain((pairs) => fc.tuple(...pairs.map(() => encodingArb)).map((encodings) => pairs.map(([name, value], index) => [name, value, encodings[index] ?? 'component'] as const)));
}

export function encode(text: string, encoding: Encoding): string {
  try {
    if (encoding === 'component') return encodeURIComponent(text);
    if (encoding === 'form') return new URLSearchParams([['', text]]).toString().slice(1);
  } catch {
    // A lone surrogate cannot be percent-encoded: send it as it is.
  }
  return text;
}

/** `a=1&b=2` as a client could write it, garbage encodings included. */
export function queryString(pairs: readonly Pair[]): string {
  return pairs.map(([name, value, encoding]) => (encoding === 'bare' && value === '' ? encode(name, 'raw') : `${encode(name, encoding)}=${encode(value, encoding)}`)).join('&');
}

/** Header values must be what an HTTP parser lets through: latin1 without controls. */
export const headerText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }) },
  { weight: 2, arbitrary: fc.constantFrom(...xssPayloads) },
  { weight: 1, arbitrary: fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '=', ',', ';', '"'), fc.integer({ min: 100, max: 8000 })).map(([unit, length]) => unit.repeat(length)) },
).map(toHeaderValue);

/** What Node's parser would let through: no controls but tab, latin1 only, no leading or trailing space. */
export function toHeaderValue(text: string): string {
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').trim();
}

const schemes = ['Bearer', 'bearer', 'BEARER', 'Basic', 'basic', 'DPoP', 'MAC', 'Digest', 'Negotiate', 'Token', 'OAuth', 'Bearer\t', '', 'Bearer Bearer'];

/** An Authorization header with any scheme and any credentials, Basic ones sometimes well formed. */
export const authorizationArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...schemes), fc.constantFrom(' ', '  ', ''), headerText).map(([scheme, space, value]) => toHeaderValue(`${scheme}${space}${value}`)) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('Basic ', 'basic ', 'Basic  '), anyText, fc.constantFrom(':', '', '::'), anyText)
      .map(([scheme, id, colon, secret]) => `${scheme}${Buffer.from(`${id}${colon}${secret}`).toString('base64')}`),
  },
  { weight: 1, arbitrary: headerText },
);

const mediaTypes = ['application/json', 'application/jwt', 'text/html', '*/*', 'application/*', 'text/*', 'application/x-www-form-urlencoded', '', 'application', '*'];

/** Accept headers with odd quality values (NaN, negative, huge, repeated). */
export const acceptArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.constantFrom(...mediaTypes),
          fc.option(fc.constantFrom('q=0', 'q=1', 'q=0.5', 'q=0.999', 'q=2', 'q=-1', 'q=NaN', 'q=', 'q=abc', 'q=1e999', 'Q=0.9', 'charset=utf-8', 'q=0x1'), { nil: undefined }),
        ),
        { maxLength: 5 },
      )
      .map((ranges) => ranges.map(([type, parameter]) => (parameter === undefined ? type : `${type};${parameter}`)).join(', ')),
  },
  { weight: 1, arbitrary: headerText },
);

export const cookieNames = ['kob_browser', '__Host-kob_browser'];

/** Cookie headers: junk, forged binding cookies (random value, random or missing signature), repeats. */
export const cookieArb: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.constantFrom(...cookieNames), fc.base64String({ maxLength: 48 }), fc.constantFrom('.', '', '..', '.s:'), fc.base64String({ maxLength: 48 }))
          .map(([name, value, dot, signature]) => `${name}=${encodeURIComponent(value)}${dot}${signature}`),
      },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...cookieNames, 'session', '', '='), headerText).map(([name, value]) => `${name}=${value}`) },
      { weight: 1, arbitrary: headerText },
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((cookies) => toHeaderValue(cookies.join('; ')));

export const contentTypes = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded;charset=ISO-8859-1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/x-www-form-urlencoded; charset="',
  'APPLICATION/X-WWW-FORM-URLENCODED',
  'application/x-www-form-urlencoded, application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'text/html',
  'multipart/form-data; boundary=----x',
  'application/jwt',
  'application/octet-stream',
  '*/*',
  'application/',
  ';',
  '',
];

/** A Content-Type: usual ones, broken ones, or anything. */
export const contentTypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
  { weight: 6, arbitrary: fc.constantFrom(...contentTypes) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: headerText },
);

/** A body: a form built like a query string, raw text, JSON, or more than the 64 KiB limit. */
export function bodyArb(pairs: fc.Arbitrary<Pair[]>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 6, arbitrary: pairs.map(queryString) },
    { weight: 1, arbitrary: anyText },
    { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.tuple(pairs.map(queryString), fc.integer({ min: 64 * 1024 - 16, max: 80 * 1024 })).map(([form, size]) => `${form}&pad=${'A'.repeat(size)}`) },
  );
}

// ---- properties ---------------------------------------------------------------------------------

export interface SentInput {
  /** Every generated string (names, values, header values) as generated and as sent. */
  strings: readonly string[];
}

export interface Expectations {
  /** A valid /authorize may send the browser to Kakao; nothing else may. */
  kakaoAuthorize?: string;
}

const injectedElement = /<(?:script|svg|img|iframe)\b/i;

/**
 * What every answer keeps, whatever the request: no 5xx, no code to a client, redirects only to a
 * registered redirect_uri (with an error, state untouched, and iss) or to Kakao, well-formed JSON
 * errors, and HTML pages that carry no markup from the request.
 */
export function checkResponse(response: LightMyRequestResponse, sent: SentInput, issuer: string, expectations: Expectations = {}): void {
  const fail = (why: string): never => {
    throw new Error(`${why}\nstatus ${response.statusCode} ${String(response.headers['content-type'])}\nlocation ${String(response.headers.location)}\n${response.body.slice(0, 500)}`);
  };
  if (response.statusCode >= 500) fail('5xx');
  if (response.statusCode < 200) fail('informational status');
  const type = response.headers['content-type'] ?? '';

  if (/html/i.test(type)) {
    if (injectedElement.test(response.body)) fail('markup in a page');
    for (const text of sent.strings) {
      if (text.length >= 8 && /[<"]/.test(text) && response.body.includes(text)) fail(`input reflected unescaped: ${text.slice(0, 80)}`);
    }
    if (!/default-src 'none'/.test(String(response.headers['content-security-policy']))) fail('page without CSP');
  }
  if (/json/i.test(type) && response.body !== '') {
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      fail('JSON content type with a body that is not JSON');
    }
    if (response.statusCode >= 400 && typeof (body as { error?: unknown }).error !== 'string') fail('error without an error code');
  }

  const location = response.headers.location;
  if (location !== undefined) {
    const text = location;
    if (/[<>"'\s]/.test(text)) fail('Location is not URL-encoded');
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return fail('Location is not an absolute URL');
    }
    if (url.searchParams.has('code') || url.searchParams.has('access_token') || url.searchParams.has('id_token')) fail('a code or token in a redirect');
    const target = url.origin + url.pathname;
    if (registeredRedirectUris.includes(target)) {
      if (url.searchParams.get('error') === null) fail('a redirect to the client without an error');
      if (url.searchParams.get('iss') !== issuer) fail('a redirect to the client without iss');
    } else if (expectations.kakaoAuthorize === undefined || !text.startsWith(expectations.kakaoAuthorize)) {
      fail('a redirect to somewhere that is neither a registered redirect_uri nor Kakao');
    }
  }
  const setCookie = response.headers['set-cookie'];
  if (setCookie !== undefined && !/^kob_browser=/.test(String(setCookie))) fail('an unexpected cookie');
}

/** Every string a case generated, for the reflection check. */
export function stringsOf(...parts: (string | undefined | readonly Pair[])[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part === undefined) continue;
    if (typeof part === 'string') out.push(part);
    else for (const [name, value] of part) out.push(name, value);
  }
  return out;
}

/** Headers for inject without the ones left out. */
export function headersOf(headers: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
