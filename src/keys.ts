import { createPrivateKey, hash, sign as signWithKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import type { SigningAlg } from './config.js';
import { FileKeyStorage, type KeyStorage } from './key-storage.js';

interface StoredKey {
  jwk: JWK;
  createdAt: number;
  /** When it starts signing; published from createdAt, so relying parties see it first. */
  activatesAt?: number;
}

interface SigningKey {
  kid: string;
  alg: SigningAlg;
  activatesAt: number;
  privateKey: KeyObject;
  /** base64url of the protected header, per typ. */
  headers: Map<string, string>;
  publicJwk: JWK;
}

export interface KeyPolicy {
  /** Rotate when the newest key of an algorithm is older than this many days; undefined = never. */
  rotationDays: number | undefined;
  /** A new key is published this long before it signs, for relying parties that cache the JWKS. */
  publishAheadSeconds: number;
  /** An old key stays published this long after its successor starts signing: the longest token lifetime. */
  retireAfterSeconds: number;
}

export const defaultKeyPolicy: KeyPolicy = { rotationDays: undefined, publishAheadSeconds: 900, retireAfterSeconds: 86_400 };

export interface RotationResult {
  kid: string;
  alg: SigningAlg;
  activatesAt: number;
}

const day = 86_400;

/**
 * The provider's signing keys. Generated on first start and kept in a KeyStorage (DATA_DIR, or
 * the shared store for replicas), so a restart keeps the JWKS. Rotation overlaps: a new key is
 * published before it signs, an old one until every token it signed has expired.
 */
export class KeySet {
  private jwks = '{"keys":[]}';
  private signers = new Map<SigningAlg, SigningKey>();
  private keys: SigningKey[] = [];
  private document = '';
  /** False while an algorithm has no key in the storage yet (see open). */
  private allKeys = false;
  private generation: Promise<void> | undefined;

  private constructor(
    private readonly storage: KeyStorage,
    private readonly algs: readonly SigningAlg[],
    private readonly policy: KeyPolicy,
    private readonly now: () => number,
  ) {}

  /** Loads the keys, creating a key for each algorithm that has none yet. */
  static async load(
    storage: KeyStorage | string,
    algs: readonly SigningAlg[],
    policy: Partial<KeyPolicy> = {},
    now: () => number = () => Math.floor(Date.now() / 1000),
  ): Promise<KeySet> {
    const keySet = await KeySet.open(storage, algs, policy, now);
    await keySet.ensureAllKeys();
    return keySet;
  }

  /**
   * Loads the stored keys, but leaves creating a missing algorithm's key to ensureAllKeys(), which
   * sign() waits for: a first start can answer discovery and /authorize before its RSA key exists
   * (an RSA-2048 key takes 18 to 147 ms of CPU here, BENCHMARKS.md, cold start).
   */
  static async open(
    storage: KeyStorage | string,
    algs: readonly SigningAlg[],
    policy: Partial<KeyPolicy> = {},
    now: () => number = () => Math.floor(Date.now() / 1000),
  ): Promise<KeySet> {
    const keySet = new KeySet(typeof storage === 'string' ? new FileKeyStorage(storage) : storage, algs, { ...defaultKeyPolicy, ...policy }, now);
    const stored = await keySet.storage.read();
    const parsed = stored === undefined ? [] : parseStoredKeys(stored);
    if (algs.every((alg) => parsed.some((key) => key.jwk.alg === alg))) {
      await keySet.refreshAllKeys();
      keySet.allKeys = true;
    }
    return keySet;
  }

  /** Every algorithm has a key: jwksJson publishes them all and sign() does not wait. */
  get hasAllKeys(): boolean {
    return this.allKeys;
  }

  /** Creates the key of every algorithm the storage has none of yet; one attempt at a time, retried after a failure. */
  ensureAllKeys(): Promise<void> {
    if (this.allKeys) return Promise.resolve();
    this.generation ??= this.generateMissing().then(
      () => {
        this.allKeys = true;
      },
      (error: unknown) => {
        this.generation = undefined;
        throw error;
      },
    );
    return this.generation;
  }

  /** Resolves once no key is being created: a process that stops waits, rather than leave the storage's lock behind. */
  async settled(): Promise<void> {
    await this.generation?.catch(() => undefined);
  }

  private async generateMissing(): Promise<void> {
    // Keys for a missing algorithm sign at once: nothing signed with that algorithm before.
    await this.storage.update(async (current) => {
      const keys = current === undefined ? [] : parseStoredKeys(current);
      const missing = this.algs.filter((alg) => !keys.some((key) => key.jwk.alg === alg));
      return missing.length === 0 ? undefined : serialise([...keys, ...(await generateKeys(missing, this.now()))]);
    });
    await this.refreshAllKeys();
  }

  /** The JWKS document, serialised once per refresh: served as is on every request; no keys until hasAllKeys. */
  get jwksJson(): string {
    return this.jwks;
  }

  /** Signs `payload` with the active key of `alg`. */
  async sign(payload: JWTPayload, alg: SigningAlg, typ = 'JWT'): Promise<string> {
    if (!this.allKeys) await this.ensureAllKeys();
    const key = this.signers.get(alg) ?? this.activeKey(alg);
    if (key === undefined) throw new Error(`no signing key for ${alg}`);
    let header = key.headers.get(typ);
    if (header === undefined) {
      header = Buffer.from(JSON.stringify({ alg, kid: key.kid, typ })).toString('base64url');
      key.headers.set(typ, header);
    }
    // node:crypto rather than jose: no copy of the payload.
    // @see RFC 7515 §5.1, RFC 7518 §3.3–3.4
    const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const input = Buffer.from(signingInput);
    const signingKey = alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' as const } : key.privateKey;
    // On the libuv thread pool, even where the process may use one core only. Alone, a signature
    // in place costs less CPU (254 vs 270 µs, RS256), yet the server pinned to one core serves
    // more with the pool (bench:compare, per CPU-s: /token ×1.12 RS256 and ×1.18 ES256, /userinfo
    // JWT ×1.11, a full login ×1.12).
    const signature = await new Promise<Buffer>((resolve, reject) => {
      signWithKey('sha256', input, signingKey, (error, result) => {
        if (error === null) resolve(result);
        else reject(error);
      });
    });
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** Re-reads the storage (another replica may have rotated) and rotates when a key is due. */
  async refresh(): Promise<void> {
    await this.ensureAllKeys();
    await this.refreshAllKeys();
  }

  private async refreshAllKeys(): Promise<void> {
    await this.reload();
    if (this.policy.rotationDays !== undefined && this.dueForRotation(this.document)) await this.addKeys(false, true);
  }

  /**
   * Adds a new key for every configured algorithm and drops keys whose successors have signed
   * for longer than any token lives. The new key signs after `publishAheadSeconds`, or at once
   * with `immediate` (a compromised key).
   */
  async rotate(options: { immediate?: boolean } = {}): Promise<RotationResult[]> {
    await this.ensureAllKeys();
    return this.addKeys(options.immediate === true, false);
  }

  private async addKeys(immediate: boolean, onlyIfDue: boolean): Promise<RotationResult[]> {
    const added: RotationResult[] = [];
    await this.storage.update(async (current) => {
      // Another replica may have rotated while this one waited for the lock.
      if (onlyIfDue && !this.dueForRotation(current ?? serialise([]))) return undefined;
      const now = this.now();
      const keys = current === undefined ? [] : parseStoredKeys(current);
      const fresh = await generateKeys(this.algs, now, immediate ? now : now + this.policy.publishAheadSeconds);
      added.push(...fresh.map((key) => ({ kid: key.jwk.kid ?? '', alg: key.jwk.alg as SigningAlg, activatesAt: activation(key) })));
      return serialise(this.withoutRetired([...keys, ...fresh], now));
    });
    await this.reload();
    return added;
  }

  private async reload(): Promise<void> {
    let document = await this.storage.read();
    if (document === undefined && this.document !== '') {
      // The storage lost the keys (a Redis without persistence restarted, or was flushed): put
      // back the ones this instance signs with, unless another instance already stored keys.
      const known = this.document;
      await this.storage.update((current) => Promise.resolve(current === undefined ? known : undefined));
      document = (await this.storage.read()) ?? known;
    }
    document ??= serialise([]);
    if (document !== this.document) {
      this.keys = parseStoredKeys(document).map(importSigningKey);
      this.document = document;
    }
    this.select();
  }

  /** Refreshes every `intervalMs` until the returned function is called. */
  startRefreshing(intervalMs: number, onError: (error: unknown) => void): () => void {
    const timer = setInterval(() => {
      this.refresh().catch(onError);
    }, intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  }

  private dueForRotation(document: string): boolean {
    const rotationSeconds = (this.policy.rotationDays ?? Infinity) * day;
    const stored = parseStoredKeys(document);
    const now = this.now();
    return this.algs.some((alg) => {
      const newest = Math.max(0, ...stored.filter((key) => key.jwk.alg === alg).map((key) => key.createdAt));
      return newest + rotationSeconds <= now;
    });
  }

  /** Publishes every key that is not retired; the newest active key of each algorithm signs. */
  private select(): void {
    this.signers = new Map();
    for (const alg of new Set(this.keys.map((key) => key.alg))) {
      const active = this.activeKey(alg);
      if (active !== undefined) this.signers.set(alg, active);
    }
    this.jwks = JSON.stringify({ keys: this.keys.map((key) => key.publicJwk) });
  }

  private activeKey(alg: SigningAlg): SigningKey | undefined {
    const now = this.now();
    let active: SigningKey | undefined;
    for (const key of this.keys) {
      if (key.alg === alg && key.activatesAt <= now && (active === undefined || key.activatesAt >= active.activatesAt)) active = key;
    }
    return active;
  }

  /** A key is retired once a newer key of its algorithm (later in the list) has signed for retireAfterSeconds. */
  private withoutRetired(keys: StoredKey[], now: number): StoredKey[] {
    return keys.filter(
      (key, index) =>
        !keys.some(
          (successor, successorIndex) =>
            successorIndex > index && successor.jwk.alg === key.jwk.alg && activation(successor) + this.policy.retireAfterSeconds <= now,
        ),
    );
  }
}

/**
 * Left half of the SHA-256 of the access token, base64url: RS256 and ES256 both hash with SHA-256.
 * @see OIDC Core §3.1.3.6 (at_hash)
 */
export function atHash(accessToken: string): string {
  const digest = hash('sha256', accessToken, 'buffer');
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

function activation(key: StoredKey): number {
  return key.activatesAt ?? key.createdAt;
}

async function generateKeys(algs: readonly SigningAlg[], createdAt: number, activatesAt = createdAt): Promise<StoredKey[]> {
  return Promise.all(
    algs.map(async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
      const jwk = await exportJWK(privateKey);
      const kid = await calculateJwkThumbprint(jwk);
      return { jwk: { ...jwk, kid, alg, use: 'sig' }, createdAt, activatesAt };
    }),
  );
}

function serialise(keys: StoredKey[]): string {
  return JSON.stringify({ keys });
}

function parseStoredKeys(json: string): StoredKey[] {
  const parsed = JSON.parse(json) as { keys?: unknown };
  if (!Array.isArray(parsed.keys)) throw new Error('signing keys: the document has no "keys" array');
  return parsed.keys as StoredKey[];
}

/** node:crypto's name for the key each algorithm signs with. */
const expectedKind: Record<SigningAlg, string> = { RS256: 'rsa', ES256: 'ec prime256v1' };

function importSigningKey(stored: StoredKey): SigningKey {
  const { jwk } = stored;
  const alg = jwk.alg as SigningAlg;
  const kid = jwk.kid;
  if (kid === undefined) throw new Error('signing keys: a key has no kid');
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  // The key must be of the kind its alg names: an RSA key labelled ES256 would sign tokens no verifier accepts.
  const kind = privateKey.asymmetricKeyType === 'ec' ? `ec ${String(privateKey.asymmetricKeyDetails?.namedCurve)}` : privateKey.asymmetricKeyType;
  if (kind !== expectedKind[alg]) throw new Error(`signing keys: key ${kid} is not an ${alg} key`);
  const { kty, n, e, crv, x, y } = jwk;
  const publicJwk: JWK = Object.fromEntries(
    Object.entries({ kty, n, e, crv, x, y, kid, alg, use: 'sig' }).filter(([, value]) => value !== undefined),
  );
  return { kid, alg, activatesAt: activation(stored), privateKey, headers: new Map(), publicJwk };
}
