import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import t from 'tap';
import { StoreKeyStorage, type KeyStorage } from '../src/key-storage.js';
import { atHash, KeySet } from '../src/keys.js';
import { MemoryStore } from '../src/store/memory.js';

interface Jwks {
  keys: JWK[];
}
const jwksOf = (keys: KeySet): Jwks => JSON.parse(keys.jwksJson) as Jwks;
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

t.test('first start creates signing-keys.json readable by the owner only', async (t) => {
  const dir = join(t.testdir(), 'data');
  await KeySet.load(dir, ['RS256']);
  const file = await stat(join(dir, 'signing-keys.json'));
  t.equal(file.mode & 0o777, 0o600);
  t.equal((await stat(dir)).mode & 0o777, 0o700, 'a missing DATA_DIR is created for the owner only');
  t.same(await readdir(dir), ['signing-keys.json'], 'leaves no temporary file behind');
});

t.test('publishes an RS256 key with kid, alg and use, and no private members', async (t) => {
  const { keys } = jwksOf(await KeySet.load(t.testdir(), ['RS256']));
  t.equal(keys.length, 1);
  const [key] = keys;
  t.match(key, { kty: 'RSA', alg: 'RS256', use: 'sig', kid: String, n: String, e: 'AQAB' });
  for (const member of privateMembers) t.notOk(member in key!, `no "${member}"`);
});

t.test('publishes an ES256 key on P-256 with no private members', async (t) => {
  const { keys } = jwksOf(await KeySet.load(t.testdir(), ['ES256']));
  t.equal(keys.length, 1);
  const [key] = keys;
  t.match(key, { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: String, x: String, y: String });
  for (const member of privateMembers) t.notOk(member in key!, `no "${member}"`);
});

t.test('the kid is the RFC 7638 thumbprint of the public key', async (t) => {
  const { keys } = jwksOf(await KeySet.load(t.testdir(), ['RS256', 'ES256']));
  for (const key of keys) t.equal(key.kid, await calculateJwkThumbprint(key));
});

t.test('a restart keeps the keys: the same folder gives the same JWKS', async (t) => {
  const dir = t.testdir();
  const first = await KeySet.load(dir, ['RS256', 'ES256']);
  const second = await KeySet.load(dir, ['RS256', 'ES256']);
  t.equal(second.jwksJson, first.jwksJson);
});

t.test('a token signed before a restart verifies against the JWKS after it', async (t) => {
  const dir = t.testdir();
  const token = await (await KeySet.load(dir, ['RS256'])).sign({ sub: '3827731058' }, 'RS256');
  const restarted = await KeySet.load(dir, ['RS256']);
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwksOf(restarted)));
  t.equal(payload.sub, '3827731058');
});

t.test('adding ES256 later keeps the RS256 key', async (t) => {
  const dir = t.testdir();
  const [rsa] = jwksOf(await KeySet.load(dir, ['RS256'])).keys;
  const both = jwksOf(await KeySet.load(dir, ['RS256', 'ES256'])).keys;
  t.equal(both.length, 2);
  t.same(both[0], rsa, 'the RS256 key is unchanged');
  t.equal(both[1]!.alg, 'ES256');
  t.same(jwksOf(await KeySet.load(dir, ['RS256', 'ES256'])).keys, both, 'and both survive the next restart');
});

t.test('keeps publishing a key whose algorithm is no longer configured', async (t) => {
  const dir = t.testdir();
  const both = await KeySet.load(dir, ['RS256', 'ES256']);
  const esOnly = await KeySet.load(dir, ['ES256']);
  t.equal(esOnly.jwksJson, both.jwksJson);
});

t.test('sign produces a JWT that jose verifies with the published JWKS', async (t) => {
  const keys = await KeySet.load(t.testdir(), ['RS256', 'ES256']);
  const jwks = createLocalJWKSet(jwksOf(keys));
  for (const alg of ['RS256', 'ES256'] as const) {
    const token = await keys.sign({ iss: 'https://login.example.com', sub: '3827731058', aud: 'logto' }, alg);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: 'https://login.example.com', audience: 'logto', algorithms: [alg] });
    t.equal(payload.sub, '3827731058', `${alg} payload`);
    const kid = jwksOf(keys).keys.find((key) => key.alg === alg)!.kid;
    t.same(protectedHeader, { alg, kid, typ: 'JWT' }, `${alg} header names the kid`);
  }
});

t.test('sign sets the typ it is given', async (t) => {
  const keys = await KeySet.load(t.testdir(), ['ES256']);
  t.equal(decodeProtectedHeader(await keys.sign({ sub: 'a' }, 'ES256', 'at+jwt')).typ, 'at+jwt');
});

t.test('sign refuses an algorithm that has no key', async (t) => {
  const keys = await KeySet.load(t.testdir(), ['ES256']);
  await t.rejects(keys.sign({ sub: 'a' }, 'RS256'), /no signing key for RS256/);
});

t.test('two concurrent loads of a fresh folder end with the same keys', async (t) => {
  const dir = join(t.testdir(), 'fresh');
  const [a, b] = await Promise.all([KeySet.load(dir, ['RS256', 'ES256']), KeySet.load(dir, ['RS256', 'ES256'])]);
  t.equal(a.jwksJson, b.jwksJson);
  t.equal((await KeySet.load(dir, ['RS256', 'ES256'])).jwksJson, a.jwksJson, 'and they are the ones on disk');
  t.same(await readdir(dir), ['signing-keys.json'], 'leaves no temporary file behind');
});

t.test('two concurrent loads that add ES256 to an existing folder end with the same keys', async (t) => {
  const dir = t.testdir();
  await KeySet.load(dir, ['RS256']);
  const [a, b] = await Promise.all([KeySet.load(dir, ['RS256', 'ES256']), KeySet.load(dir, ['RS256', 'ES256'])]);
  t.equal(a.jwksJson, b.jwksJson);
  t.equal((await KeySet.load(dir, ['RS256', 'ES256'])).jwksJson, a.jwksJson, 'and they are the ones on disk');
});

t.test('refuses a signing-keys.json without a keys array', async (t) => {
  const dir = t.testdir({ 'signing-keys.json': '{"jwks":[]}' });
  await t.rejects(KeySet.load(dir, ['RS256']), /no "keys" array/);
});

t.test('refuses a signing-keys.json it cannot read, rather than replacing it', async (t) => {
  const dir = t.testdir({ 'signing-keys.json': {} });
  await t.rejects(KeySet.load(dir, ['RS256']), { code: 'EISDIR' });
});

t.test('refuses a stored key without a kid', async (t) => {
  const dir = t.testdir();
  await KeySet.load(dir, ['ES256']);
  const path = join(dir, 'signing-keys.json');
  const stored = JSON.parse(await readFile(path, 'utf8')) as { keys: { jwk: JWK }[] };
  delete stored.keys[0]!.jwk.kid;
  await writeFile(path, JSON.stringify(stored));
  await t.rejects(KeySet.load(dir, ['ES256']), /no kid/);
});

t.test('refuses a stored key whose alg names another kind of key (an RSA key labelled ES256)', async (t) => {
  const dir = t.testdir();
  await KeySet.load(dir, ['RS256']);
  const path = join(dir, 'signing-keys.json');
  const stored = JSON.parse(await readFile(path, 'utf8')) as { keys: { jwk: JWK }[] };
  stored.keys[0]!.jwk.alg = 'ES256';
  await writeFile(path, JSON.stringify(stored));
  await t.rejects(KeySet.load(dir, ['RS256']), /is not an ES256 key/);
});

t.test('atHash is the base64url of the left half of the SHA-256 of the access token (OIDC Core §3.1.3.6)', async (t) => {
  for (const accessToken of ['jHkWEdUXMU1BwAsC4vtUsZwnuFY8y6-k9vGm1dW8r3aX', 'a', 'Ωmega-토큰']) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
    const leftHalf = digest.slice(0, 16);
    const expected = btoa(String.fromCharCode(...leftHalf)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    t.equal(atHash(accessToken), expected, accessToken);
    t.equal(atHash(accessToken).length, 22, 'has no padding');
  }
});

/** A clock the test moves by hand (seconds). */
function manualClock(start = 1_800_000_000) {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds) };
}

const kidOf = (token: string): string | undefined => decodeProtectedHeader(token).kid;

t.test('a rotated key is published at once but signs only after publishAheadSeconds', async (t) => {
  const clock = manualClock();
  const keys = await KeySet.load(t.testdir(), ['RS256'], { publishAheadSeconds: 600 }, clock.now);
  const oldKid = kidOf(await keys.sign({ sub: 'a' }, 'RS256'));
  const [added] = await keys.rotate();
  t.equal(jwksOf(keys).keys.length, 2, 'both keys published');
  t.ok(jwksOf(keys).keys.some((key) => key.kid === added?.kid));
  t.equal(kidOf(await keys.sign({ sub: 'a' }, 'RS256')), oldKid, 'the old key still signs');
  clock.advance(600);
  await keys.refresh();
  t.equal(kidOf(await keys.sign({ sub: 'a' }, 'RS256')), added?.kid, 'the new key signs once published long enough');
});

t.test('an old key stays published until its successor has signed for retireAfterSeconds', async (t) => {
  const clock = manualClock();
  const keys = await KeySet.load(t.testdir(), ['RS256'], { publishAheadSeconds: 0, retireAfterSeconds: 3600 }, clock.now);
  const [first] = jwksOf(keys).keys;
  await keys.rotate();
  clock.advance(3599);
  await keys.rotate();
  t.ok(jwksOf(keys).keys.some((key) => key.kid === first?.kid), 'still published while its tokens may live');
  clock.advance(1);
  await keys.rotate();
  t.notOk(jwksOf(keys).keys.some((key) => key.kid === first?.kid), 'dropped once every token it signed has expired');
});

t.test('an immediate rotation signs with the new key at once', async (t) => {
  const keys = await KeySet.load(t.testdir(), ['ES256']);
  const [added] = await keys.rotate({ immediate: true });
  t.equal(kidOf(await keys.sign({ sub: 'a' }, 'ES256')), added?.kid);
});

t.test('rotates by itself every rotationDays, and not before', async (t) => {
  const clock = manualClock();
  const keys = await KeySet.load(t.testdir(), ['RS256'], { rotationDays: 30 }, clock.now);
  clock.advance(29 * 86_400);
  await keys.refresh();
  t.equal(jwksOf(keys).keys.length, 1, 'not yet');
  clock.advance(86_400);
  await keys.refresh();
  t.equal(jwksOf(keys).keys.length, 2, 'rotated after 30 days');
});

t.test('two replicas due for rotation at once add one key, not two', async (t) => {
  const clock = manualClock();
  const dir = t.testdir();
  const a = await KeySet.load(dir, ['RS256'], { rotationDays: 1 }, clock.now);
  const b = await KeySet.load(dir, ['RS256'], { rotationDays: 1 }, clock.now);
  clock.advance(86_400);
  await Promise.all([a.refresh(), b.refresh()]);
  await a.refresh();
  t.equal(jwksOf(a).keys.length, 2);
  t.equal(a.jwksJson, b.jwksJson, 'both publish the same keys');
});

t.test('replicas sharing a store share the keys and see each other\'s rotations', async (t) => {
  const store = new MemoryStore();
  t.teardown(() => store.close());
  const [a, b] = await Promise.all([
    KeySet.load(new StoreKeyStorage(store), ['RS256', 'ES256']),
    KeySet.load(new StoreKeyStorage(store), ['RS256', 'ES256']),
  ]);
  t.equal(a.jwksJson, b.jwksJson, 'created once, race-free');
  await a.rotate();
  await b.refresh();
  t.equal(a.jwksJson, b.jwksJson, 'the rotation reaches the other replica on refresh');
  t.equal(jwksOf(b).keys.length, 4);
});

t.test('startRefreshing refreshes on a timer until stopped', async (t) => {
  const dir = t.testdir();
  const a = await KeySet.load(dir, ['RS256']);
  const b = await KeySet.load(dir, ['RS256']);
  const stop = b.startRefreshing(20, (error) => t.fail(String(error)));
  await a.rotate();
  await new Promise((resolve) => setTimeout(resolve, 80));
  stop();
  t.equal(b.jwksJson, a.jwksJson);
});

t.test('puts the keys back when the shared store lost them, so signing goes on', async (t) => {
  const store = new MemoryStore();
  t.teardown(() => store.close());
  const keys = await KeySet.load(new StoreKeyStorage(store), ['RS256']);
  const before = keys.jwksJson;
  await store.delete('signing-keys');
  await keys.refresh();
  t.equal(keys.jwksJson, before, 'the same keys are published');
  t.ok(await store.get('signing-keys'), 'and stored again');
  t.ok(await keys.sign({ sub: 'a' }, 'RS256'));
});

t.test('open() creates no key; the first sign() creates it, waits for it and signs with it', async (t) => {
  const dir = join(t.testdir(), 'data');
  const keys = await KeySet.open(dir, ['RS256']);
  t.equal(keys.hasAllKeys, false);
  t.same(jwksOf(keys).keys, [], 'publishes nothing yet');
  await t.rejects(stat(join(dir, 'signing-keys.json')), { code: 'ENOENT' }, 'and wrote nothing');
  const token = await keys.sign({ sub: '3827731058' }, 'RS256');
  t.equal(keys.hasAllKeys, true);
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwksOf(keys)));
  t.equal(payload.sub, '3827731058');
  t.equal((await KeySet.load(dir, ['RS256'])).jwksJson, keys.jwksJson, 'the key is the one on disk');
});

t.test('open() of a folder that has every key publishes them at once', async (t) => {
  const dir = t.testdir();
  const loaded = await KeySet.load(dir, ['RS256', 'ES256']);
  const opened = await KeySet.open(dir, ['RS256', 'ES256']);
  t.equal(opened.hasAllKeys, true);
  t.equal(opened.jwksJson, loaded.jwksJson);
});

t.test('open() of a folder that lacks one algorithm publishes nothing until ensureAllKeys() adds it', async (t) => {
  const dir = t.testdir();
  const rsOnly = await KeySet.load(dir, ['RS256']);
  const keys = await KeySet.open(dir, ['RS256', 'ES256']);
  t.equal(keys.hasAllKeys, false);
  t.same(jwksOf(keys).keys, []);
  await keys.ensureAllKeys();
  t.same(
    jwksOf(keys).keys.map((key) => key.alg),
    ['RS256', 'ES256'],
  );
  t.equal(jwksOf(keys).keys[0]?.kid, jwksOf(rsOnly).keys[0]?.kid, 'the RS256 key is kept');
});

t.test('concurrent callers of a first start create one key, not one each', async (t) => {
  const dir = t.testdir();
  const keys = await KeySet.open(dir, ['RS256']);
  await Promise.all([keys.ensureAllKeys(), keys.sign({ sub: 'a' }, 'RS256'), keys.ensureAllKeys(), keys.refresh(), keys.settled()]);
  t.equal(jwksOf(keys).keys.length, 1);
  t.equal((JSON.parse(await readFile(join(dir, 'signing-keys.json'), 'utf8')) as Jwks).keys.length, 1);
});

t.test('a failed creation rejects its callers; the next call tries again', async (t) => {
  const store = new MemoryStore();
  t.teardown(() => store.close());
  const storage = new StoreKeyStorage(store);
  let failures = 1;
  const failingOnce: KeyStorage = {
    read: () => storage.read(),
    update: (change) => (failures-- > 0 ? Promise.reject(new Error('the store went away')) : storage.update(change)),
  };
  const keys = await KeySet.open(failingOnce, ['ES256']);
  const attempt = keys.ensureAllKeys();
  await t.rejects(keys.sign({ sub: 'a' }, 'ES256'), /the store went away/, 'a signature waiting for it fails with it');
  await t.rejects(attempt, /the store went away/);
  await keys.settled();
  t.pass('settled() resolves after a failure too');
  t.equal(keys.hasAllKeys, false);
  t.ok(await keys.sign({ sub: 'a' }, 'ES256'), 'the next signature creates the key');
  t.equal(keys.hasAllKeys, true);
  t.ok(await store.get('signing-keys'), 'and stores it');
});

t.test('settled() waits for a creation in progress, and for nothing otherwise', async (t) => {
  const keys = await KeySet.open(t.testdir(), ['RS256']);
  await keys.settled();
  t.equal(keys.hasAllKeys, false, 'it starts none');
  void keys.ensureAllKeys();
  await keys.settled();
  t.equal(keys.hasAllKeys, true);
});

t.test('refresh() on a first start creates the missing key to sign at once, not as a rotation that signs later', async (t) => {
  const keys = await KeySet.open(t.testdir(), ['RS256'], { rotationDays: 90 });
  await keys.refresh();
  t.equal(jwksOf(keys).keys.length, 1, 'one key');
  t.ok(await keys.sign({ sub: 'a' }, 'RS256'), 'and it signs now');
});

t.test('rotate() on a first start creates the missing key first, so that one key signs while the new one waits', async (t) => {
  const keys = await KeySet.open(t.testdir(), ['RS256']);
  const [rotated] = await keys.rotate();
  t.equal(jwksOf(keys).keys.length, 2, 'the first key and the rotated one');
  const token = await keys.sign({ sub: 'a' }, 'RS256');
  t.not(decodeProtectedHeader(token).kid, rotated?.kid, 'the first key signs until the rotated one is due');
});
