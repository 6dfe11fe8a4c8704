import type { PutOptions, Store } from '../store/store.js';
import type { UserClaims } from '../upstream/connector.js';
import { seal, unseal } from './sealed.js';
import { tokenHash } from './secrets.js';

const completedCallbackPurpose = 'completed-callback';
/** Pending logins and completed callbacks; codes, access tokens, replay markers and assertion ids are never evictable. */
const evictable: PutOptions = { evictable: true };

/** A login between /authorize and /callback, keyed by the bridge's upstream state. */
export interface PendingLogin {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scopes: string[];
  codeChallenge: string | undefined;
  connectorId: string;
  upstreamVerifier: string;
  /** The browser-binding id from the signed cookie set at /authorize. */
  browser: string;
}

/** A finished callback, so that a browser retrying it gets the same answer. @see kakao-api.md §5 pitfall 5 */
export interface CompletedCallback {
  browser: string;
  location: string;
}

/** What an authorization code was issued for. */
export interface IssuedCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  nonce: string | undefined;
  scopes: string[];
  subject: string;
  claims: UserClaims;
  authTime: number;
}

export interface AccessTokenRecord {
  clientId: string;
  subject: string;
  scopes: string[];
  claims: UserClaims;
  expiresAt: number;
}

/** Typed access to the records the provider keeps in the store. */
export class Records {
  constructor(private readonly store: Store) {}

  putLogin(id: string, login: PendingLogin, ttl: number): Promise<void> {
    // A full store drops the oldest pending logins first: an abandoned one costs nothing, a live one is started again.
    return this.store.put(`login:${tokenHash(id)}`, storedJson(login), ttl, evictable);
  }

  takeLogin(id: string): Promise<PendingLogin | undefined> {
    return this.store.take(`login:${tokenHash(id)}`).then(parse<PendingLogin>);
  }

  /** The redirect carries the client's code: sealed under the login id, which the store never holds. */
  putCompletedCallback(id: string, completed: CompletedCallback, ttl: number): Promise<void> {
    return this.store.put(`callback:${tokenHash(id)}`, seal(JSON.stringify(completed), id, completedCallbackPurpose), ttl, evictable);
  }

  async getCompletedCallback(id: string): Promise<CompletedCallback | undefined> {
    const sealed = await this.store.get(`callback:${tokenHash(id)}`);
    return parse<CompletedCallback>(sealed === undefined ? undefined : unseal(sealed, id, completedCallbackPurpose));
  }

  putCode(code: string, issued: IssuedCode, ttl: number): Promise<void> {
    return this.store.put(`code:${tokenHash(code)}`, storedJson(issued), ttl);
  }

  takeCode(code: string): Promise<IssuedCode | undefined> {
    return this.store.take(`code:${tokenHash(code)}`).then(parse<IssuedCode>);
  }

  /** Remembers which access token a redeemed code bought, so a replay can revoke it. @see RFC 6749 §4.1.2 */
  markCodeRedeemed(code: string, accessToken: string, ttl: number): Promise<void> {
    return this.store.put(`redeemed:${tokenHash(code)}`, tokenHash(accessToken), ttl);
  }

  /** On a replayed code: revokes the access token it bought; false when the code was never redeemed. */
  async revokeRedeemedCode(code: string): Promise<boolean> {
    const accessTokenHash = await this.store.take(`redeemed:${tokenHash(code)}`);
    if (accessTokenHash === undefined) return false;
    await this.store.delete(`access:${accessTokenHash}`);
    return true;
  }

  putAccessToken(token: string, record: AccessTokenRecord, ttl: number): Promise<void> {
    return this.store.put(`access:${tokenHash(token)}`, storedJson(record), ttl);
  }

  getAccessToken(token: string): Promise<AccessTokenRecord | undefined> {
    return this.store.get(`access:${tokenHash(token)}`).then(parse<AccessTokenRecord>);
  }

  /** Records a client assertion's jti; false when it was seen before. @see RFC 7523 §3 (7) */
  rememberAssertion(clientId: string, jti: string, ttl: number): Promise<boolean> {
    return this.store.add(`assertion:${tokenHash(`${clientId}\n${jti}`)}`, '1', ttl);
  }
}

/**
 * JSON with every non-ASCII character escaped (`\uXXXX`). A Korean nickname would otherwise make
 * V8 keep the whole record as a two-byte string: twice the memory for every code and access
 * token the memory store holds, for a few escaped characters. JSON.parse reads it unchanged.
 */
export function storedJson(value: unknown): string {
  const json = JSON.stringify(value);
  // eslint-disable-next-line no-control-regex -- the test is "is it all ASCII", control characters included
  if (/^[\u0000-\u007f]*$/.test(json)) return json;
  const escaped = json.replace(/[\u0080-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // replace() keeps its subject's two-byte representation; a round trip through latin1 makes a one-byte string.
  return Buffer.from(escaped, 'latin1').toString('latin1');
}

// The store holds only records this module wrote, so the caller names the type it stored.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
function parse<T>(json: string | undefined): T | undefined {
  return json === undefined ? undefined : (JSON.parse(json) as T);
}
