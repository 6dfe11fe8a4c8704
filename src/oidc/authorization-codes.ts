import { createHmac, createSecretKey, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { randomToken } from './secrets.js';

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
    this.key = createSecretKey(Buffer.from(hkdfSync('sha256', secret, '', 'kakao-oidc-bridge authorization code', 32)));
  }

  mint(): string {
    const random = randomToken();
    return `${random}${this.mac(random).toString('base64url')}`;
  }

  /** True only for a code mint() made with this secret (it may be redeemed, expired or live). */
  minted(code: string): boolean {
    const presented = Buffer.from(code.slice(randomChars), 'base64url');
    if (code.length <= randomChars || presented.length !== macBytes || presented.toString('base64url') !== code.slice(randomChars)) return false;
    return timingSafeEqual(presented, this.mac(code.slice(0, randomChars)));
  }

  private mac(random: string): Buffer {
    return createHmac('sha256', this.key).update(random).digest().subarray(0, macBytes);
  }
}
