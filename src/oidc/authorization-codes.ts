import { createHmac, type KeyObject } from 'node:crypto';
import { derivedKey, randomToken, safeEqual } from './secrets.js';

/** randomToken()'s length: 32 bytes in base64url. */
const randomChars = 43;
const macBytes = 16;

/**
 * Authorization codes the bridge recognises as its own after they have left the store: a random
 * token followed by its MAC under the bridge's shared secret. A code presented again after its
 * redemption can then still have its tokens revoked, without a marker kept for every redeemed
 * code. @see RFC 6749 §4.1.2, §10.5
 */
export class AuthorizationCodes {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = derivedKey(secret, 'authorization code');
  }

  mint(): string {
    const random = randomToken();
    return `${random}${this.mac(random)}`;
  }

  /** True only for a code mint() made with this secret (it may be redeemed, expired or live). */
  minted(code: string): boolean {
    return code.length > randomChars && safeEqual(code.slice(randomChars), this.mac(code.slice(0, randomChars)));
  }

  private mac(random: string): string {
    return createHmac('sha256', this.key).update(random).digest().subarray(0, macBytes).toString('base64url');
  }
}
