// Run by test/keys-one-core.test.ts under `taskset -c 0`: signs with each algorithm and verifies
// against the JWKS, then prints what it saw as one JSON line.
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { KeySet } from '../../src/keys.js';

const keys = await KeySet.load(mkdtempSync(join(tmpdir(), 'kob-one-core-')), ['RS256', 'ES256']);
const jwks = createLocalJWKSet(JSON.parse(keys.jwksJson) as JSONWebKeySet);
const verified: Record<string, unknown> = {};
for (const alg of ['RS256', 'ES256'] as const) {
  const jwt = await keys.sign({ sub: 'one-core', iss: 'https://bridge.example' }, alg);
  verified[alg] = (await jwtVerify(jwt, jwks, { algorithms: [alg], issuer: 'https://bridge.example' })).payload.sub;
}
process.stdout.write(`${JSON.stringify({ cores: availableParallelism(), verified })}\n`);
