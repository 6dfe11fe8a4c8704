import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random, unguessable token (256 bits), URL-safe. @see RFC 6749 §10.10 */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Store keys hold a hash of codes and tokens, never the values a client could present. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Constant-time comparison that does not leak the length either (both sides are hashed first). */
export function safeEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
