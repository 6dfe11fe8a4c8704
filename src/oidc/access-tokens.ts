import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

const saltBytes = 16;
const ivBytes = 12;
const tagBytes = 16;

/**
 * Access tokens that carry their own record: AES-256-GCM under a key derived for each token from
 * the bridge's secret and a random salt, so the store keeps nothing per token (only revocations)
 * and no key ever encrypts more than one message. Clients cannot read or alter the contents; to
 * them the token stays an opaque string. @see RFC 6749 §1.4, RFC 6750 §2.1 (b64token)
 */
export class SealedTokens {
  private readonly masterKey: Buffer;

  constructor(secret: string, purpose: string) {
    this.masterKey = createHash('sha256').update(`${purpose}\n${secret}`).digest();
  }

  seal(plaintext: string): string {
    const salt = randomBytes(saltBytes + ivBytes);
    const cipher = createCipheriv('aes-256-gcm', this.keyFor(salt.subarray(0, saltBytes)), salt.subarray(saltBytes));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([salt, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** undefined for anything this secret did not seal, or sealed and then altered. */
  open(token: string): string | undefined {
    const data = Buffer.from(token, 'base64url');
    const bodyAt = saltBytes + ivBytes + tagBytes;
    // base64url decoding skips characters outside its alphabet: only a canonical encoding is accepted.
    if (data.length <= bodyAt || data.toString('base64url') !== token) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.keyFor(data.subarray(0, saltBytes)), data.subarray(saltBytes, saltBytes + ivBytes));
      decipher.setAuthTag(data.subarray(saltBytes + ivBytes, bodyAt));
      return Buffer.concat([decipher.update(data.subarray(bodyAt)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  private keyFor(salt: Buffer): Buffer {
    return createHmac('sha256', this.masterKey).update(salt).digest();
  }
}
