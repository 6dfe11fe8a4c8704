import { hash } from 'node:crypto';
import { safeEqual } from './secrets.js';

/** @see RFC 7636 §4.1: 43 to 128 unreserved characters. */
const verifierPattern = /^[A-Za-z0-9\-._~]{43,128}$/;
/** @see RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters. */
const s256ChallengePattern = /^[A-Za-z0-9\-_]{43}$/;

export function isCodeVerifier(value: string): boolean {
  return verifierPattern.test(value);
}

export function isS256Challenge(value: string): boolean {
  return s256ChallengePattern.test(value);
}

/** @see RFC 7636 §4.2 */
export function s256(verifier: string): string {
  return hash('sha256', verifier, 'base64url');
}

/** @see RFC 7636 §4.6 */
export function verifyS256(verifier: string, challenge: string): boolean {
  return isCodeVerifier(verifier) && safeEqual(s256(verifier), challenge);
}
