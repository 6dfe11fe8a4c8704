import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import type { SigningAlg } from './config.js';
import { readOrCreateFile, replaceFile } from './data-dir.js';

const keysFile = 'signing-keys.json';

interface StoredKey {
  jwk: JWK;
  createdAt: number;
}

interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The provider's signing keys. Generated on first start and persisted in DATA_DIR so that a
 * restart keeps the JWKS (and every token signed before it stays verifiable).
 */
export class KeySet {
  /** The JWKS document, serialised once: served as is on every request. */
  readonly jwksJson: string;
  private readonly byAlg: Map<SigningAlg, SigningKey>;

  /** `keys` oldest first: all are published, the newest of each algorithm signs. */
  private constructor(keys: SigningKey[]) {
    this.byAlg = new Map();
    for (const key of keys) this.byAlg.set(key.alg, key);
    this.jwksJson = JSON.stringify({ keys: keys.map((key) => key.publicJwk) });
  }

  /** Loads the keys in `dataDir`, creating a key for each algorithm that has none yet. */
  static async load(dataDir: string, algs: readonly SigningAlg[]): Promise<KeySet> {
    let stored = parseStoredKeys(await readOrCreateFile(dataDir, keysFile, async () => JSON.stringify({ keys: await generateKeys(algs) })));
    const missing = algs.filter((alg) => !stored.some((key) => key.jwk.alg === alg));
    if (missing.length > 0) {
      stored = [...stored, ...(await generateKeys(missing))];
      await replaceFile(dataDir, keysFile, JSON.stringify({ keys: stored }));
    }
    const oldestFirst = [...stored].sort((a, b) => a.createdAt - b.createdAt);
    return new KeySet(await Promise.all(oldestFirst.map(importSigningKey)));
  }

  /** Signs `payload` with the newest key of `alg`. */
  async sign(payload: JWTPayload, alg: SigningAlg, typ = 'JWT'): Promise<string> {
    const key = this.byAlg.get(alg);
    if (key === undefined) throw new Error(`no signing key for ${alg}`);
    return new SignJWT(payload).setProtectedHeader({ alg, kid: key.kid, typ }).sign(key.privateKey);
  }
}

/**
 * Left half of the SHA-256 of the access token, base64url: RS256 and ES256 both hash with SHA-256.
 * @see OIDC Core §3.1.3.6 (at_hash)
 */
export function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

async function generateKeys(algs: readonly SigningAlg[]): Promise<StoredKey[]> {
  return Promise.all(
    algs.map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
      const jwk = await exportJWK(privateKey);
      const kid = await calculateJwkThumbprint(jwk);
      return { jwk: { ...jwk, kid, alg, use: 'sig' }, createdAt: Math.floor(Date.now() / 1000) };
    }),
  );
}

function parseStoredKeys(json: string): StoredKey[] {
  const parsed = JSON.parse(json) as { keys?: unknown };
  if (!Array.isArray(parsed.keys)) throw new Error(`${keysFile} has no "keys" array`);
  return parsed.keys as StoredKey[];
}

async function importSigningKey(stored: StoredKey): Promise<SigningKey> {
  const { jwk } = stored;
  const alg = jwk.alg as SigningAlg;
  const kid = jwk.kid;
  if (kid === undefined) throw new Error(`${keysFile}: a key has no kid`);
  const privateKey = (await importJWK(jwk, alg)) as CryptoKey;
  const { kty, n, e, crv, x, y } = jwk;
  const publicJwk: JWK = Object.fromEntries(
    Object.entries({ kty, n, e, crv, x, y, kid, alg, use: 'sig' }).filter(([, value]) => value !== undefined),
  );
  return { kid, alg, privateKey, publicJwk };
}
