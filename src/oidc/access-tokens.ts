import type { KeyObject } from 'node:crypto';
import { sealedBytes, sealUnder, unsealUnder } from './sealed.js';
import { derivedKey } from './secrets.js';

const daySeconds = 86_400;
const epochBytes = 4;
/** ACCESS_TOKEN_TTL is at most a day, so a live token was sealed today or in the two days before; one day ahead allows for replicas' clocks. */
const oldestEpochAccepted = 2;
const newestEpochAccepted = 1;

/**
 * Access tokens that carry their own record, sealed (AES-256-GCM): the store keeps nothing per
 * token, so a finished login leaves no state behind. To a client the token stays an opaque string.
 * @see RFC 6749 §1.4, RFC 6750 §2.1
 *
 * One key per UTC day, derived from the bridge's shared secret and named in the token. Random
 * 96-bit IVs stay far below GCM's 2^32 messages per key (that is ~49,000 tokens a second), and a
 * key is derived once a day, not per token: a per-token derivation halved /userinfo's rate
 * (BENCHMARKS.md, "What each change bought").
 */
export class SealedAccessTokens {
  private readonly keys = new Map<number, KeyObject>();

  constructor(private readonly secret: string) {}

  seal(plaintext: string, nowSeconds: number): string {
    const epoch = Math.floor(nowSeconds / daySeconds);
    const prefix = Buffer.allocUnsafe(epochBytes);
    prefix.writeUInt32BE(epoch);
    return sealUnder(this.keyFor(epoch), plaintext, prefix);
  }

  /** undefined for anything this secret did not seal in the last days, or sealed and then altered. */
  open(token: string, nowSeconds: number): string | undefined {
    const data = sealedBytes(token, epochBytes);
    if (data === undefined) return undefined;
    const epoch = data.readUInt32BE(0);
    const today = Math.floor(nowSeconds / daySeconds);
    // Checked before a key is derived: a forged epoch costs nothing and cannot fill the cache.
    if (epoch < today - oldestEpochAccepted || epoch > today + newestEpochAccepted) return undefined;
    return unsealUnder(this.keyFor(epoch), data, epochBytes);
  }

  private keyFor(epoch: number): KeyObject {
    const cached = this.keys.get(epoch);
    if (cached !== undefined) return cached;
    for (const old of this.keys.keys()) {
      if (old < epoch - oldestEpochAccepted - newestEpochAccepted) this.keys.delete(old);
    }
    const key = derivedKey(this.secret, `access token ${String(epoch)}`);
    this.keys.set(epoch, key);
    return key;
  }
}
