import { createSecretKey, hash, hkdfSync, randomFillSync, timingSafeEqual, type KeyObject } from 'node:crypto';

const tokenBytes = 32;
/**
 * CSPRNG output fetched 4 KiB at a time, each byte handed out once: one `randomBytes(32)` per
 * token costs ~2–5 µs of call overhead, a slice of the pool ~0.1 µs (node's own randomUUID
 * buffers the same way).
 */
const pool = Buffer.alloc(128 * tokenBytes);
let poolOffset = pool.length;

/** Where the next `count` unused bytes of the pool start (count ≤ its size). */
function takeFromPool(count: number): number {
  if (poolOffset + count > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += count;
  return start;
}

/** A random, unguessable token (256 bits), URL-safe. @see RFC 6749 §10.10 */
export function randomToken(): string {
  const start = takeFromPool(tokenBytes);
  return pool.toString('base64url', start, start + tokenBytes);
}

/** Fills `target` (at most 32 bytes: an IV, a salt) with random bytes from the same pool. */
export function fillRandom(target: Buffer): void {
  if (target.length > tokenBytes) throw new RangeError(`fillRandom takes at most ${String(tokenBytes)} bytes`);
  const start = takeFromPool(target.length);
  pool.copy(target, 0, start, start + target.length);
}

/**
 * Store keys hold a hash of codes and tokens, never the values a client could present.
 * One-shot `hash()` rather than a Hash object: a /token request hashes seven times.
 */
export function tokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** Constant-time comparison that does not leak the length either (both sides are hashed first). */
export function safeEqual(presented: string, expected: string): boolean {
  const a = hash('sha256', presented, 'buffer');
  const b = hash('sha256', expected, 'buffer');
  return timingSafeEqual(a, b);
}

/** A 256-bit key for one purpose, derived (HKDF-SHA-256) from a long-lived secret such as COOKIE_SECRET. */
export function derivedKey(secret: string, purpose: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', secret, '', `kakao-oidc-bridge ${purpose}`, 32)));
}
