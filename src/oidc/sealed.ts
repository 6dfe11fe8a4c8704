import { createCipheriv, createDecipheriv, createSecretKey, hash, randomBytes, type KeyObject } from 'node:crypto';

/**
 * AES-256-GCM under a key derived from a secret the store never holds (a login's random state),
 * so a record that must carry a credential is useless to whoever reads the store.
 */
function keyFor(secret: string, purpose: string): KeyObject {
  // A KeyObject, not a Buffer: node:crypto checks a Buffer key through a slow path (~10 µs a call).
  return createSecretKey(hash('sha256', `${purpose}\n${secret}`, 'buffer'));
}

export function seal(plaintext: string, secret: string, purpose: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** undefined when the value was not sealed with this secret and purpose, or was altered. */
export function unseal(sealed: string, secret: string, purpose: string): string | undefined {
  const data = Buffer.from(sealed, 'base64url');
  if (data.length < 28) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(secret, purpose), data.subarray(0, 12));
    decipher.setAuthTag(data.subarray(12, 28));
    return Buffer.concat([decipher.update(data.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
