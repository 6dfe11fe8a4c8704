import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { JWK } from 'jose';
import t from 'tap';
import { buildDefaultApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import { bridgeEnv, type TapLike } from '../helpers/bridge.js';

/** A bridge as src/server.ts builds it, on an empty DATA_DIR: a first start. */
async function firstStart(t: TapLike) {
  const dataDir = join(t.testdir(), 'data');
  const config = loadConfig({ ...bridgeEnv('http://127.0.0.1:9', 'http://127.0.0.1:9'), DATA_DIR: dataDir });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const app = await buildDefaultApp(config, createLogger(config.logLevel, sink));
  t.teardown(() => app.close());
  return { app, dataDir, logs };
}

const jwksKeys = (body: string) => (JSON.parse(body) as { keys: JWK[] }).keys;

t.test('creates its signing key once it listens, not before, with no request asking for it', async (t) => {
  const { app, dataDir } = await firstStart(t);
  t.same(await readdir(dataDir), ['cookie-secret'], 'no key before it listens');
  await app.listen({ port: 0, host: '127.0.0.1' });
  let files: string[] = [];
  for (let attempt = 0; attempt < 200 && !files.includes('signing-keys.json'); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    files = await readdir(dataDir);
  }
  t.ok(files.includes('signing-keys.json'), 'the key is in DATA_DIR');
});

t.test('/jwks and /readyz wait for the key rather than answer without it', async (t) => {
  const { app } = await firstStart(t);
  const [jwks, ready] = await Promise.all([app.inject('/jwks'), app.inject('/readyz')]);
  t.equal(jwks.statusCode, 200);
  t.match(jwksKeys(jwks.body), [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: String }], 'the new key, not an empty set');
  t.equal(jwks.headers['cache-control'], 'public, max-age=300');
  t.equal(ready.statusCode, 200);
  t.equal((await app.inject('/jwks')).body, jwks.body, 'and the same key afterwards');
});

t.test('a key that cannot be created is logged, makes /readyz 503 and /jwks 500, and is tried again', async (t) => {
  const { app, dataDir, logs } = await firstStart(t);
  // Where the key document goes, a directory: creating the key fails when it reads the document.
  await mkdir(join(dataDir, 'signing-keys.json'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  for (let attempt = 0; attempt < 200 && !logs.some((line) => line.includes('the signing keys could not be created')); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  t.ok(logs.some((line) => line.includes('the signing keys could not be created') && line.includes('EISDIR')), 'the failure is logged with its cause');
  const unready = await app.inject('/readyz');
  t.equal(unready.statusCode, 503);
  t.same(unready.json(), { status: 'unavailable', reason: 'signing keys' });
  const jwks = await app.inject('/jwks');
  t.equal(jwks.statusCode, 500);
  t.same(jwks.json(), { error: 'server_error', error_description: 'internal error' }, 'the cause stays in the log');

  await rmdir(join(dataDir, 'signing-keys.json'));
  t.equal((await app.inject('/readyz')).statusCode, 200, 'ready once the key can be created');
  t.equal(jwksKeys((await app.inject('/jwks')).body).length, 1);
});

t.test('closing waits for a key being created, so that no lock is left in DATA_DIR', async (t) => {
  const { app, dataDir } = await firstStart(t);
  await app.listen({ port: 0, host: '127.0.0.1' });
  await app.close();
  t.same((await readdir(dataDir)).sort(), ['cookie-secret', 'signing-keys.json']);
});
