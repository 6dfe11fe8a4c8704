import { createHmac, type KeyObject } from 'node:crypto';
import { derivedKey, safeEqual } from './secrets.js';

/** The derived part's length: 32 bytes (an HMAC-SHA-256) in base64url. */
const derivedChars = 43;
const macBytes = 16;

/**
 * Authorization codes the bridge recognises as its own after they have left the store: a part
 * derived from the login followed by its MAC under the bridge's shared secret. A code presented
 * again after its redemption can then still have its tokens revoked, without a marker kept for
 * every redeemed code. @see RFC 6749 §4.1.2, §10.5
 */
export class AuthorizationCodes {
  private readonly key: KeyObject;
  private readonly loginKey: KeyObject;

  constructor(secret: string) {
    this.key = derivedKey(secret, 'authorization code');
    this.loginKey = derivedKey(secret, 'authorization code of a login');
  }

  /**
   * The code of the login `loginId` (its random upstream state, which the store never holds): a
   * repeated callback computes it again and finds the code's record, so no second record is kept
   * for it. Without the secret, the login id tells nothing of the code. @see RFC 6749 §10.10
   */
  mint(loginId: string): string {
    const derived = createHmac('sha256', this.loginKey).update(loginId).digest('base64url');
    return `${derived}${this.mac(derived)}`;
  }

  /** True only for a code mint() made with this secret (it may be redeemed, expired or live). */
  minted(code: string): boolean {
    return code.length > derivedChars && safeEqual(code.slice(derivedChars), this.mac(code.slice(0, derivedChars)));
  }

  private mac(derived: string): string {
    return createHmac('sha256', this.key).update(derived).digest().subarray(0, macBytes).toString('base64url');
  }
}
