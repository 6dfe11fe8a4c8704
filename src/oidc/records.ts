import type { PutOptions, Store } from '../store/store.js';
import type { UserClaims } from '../upstream/connector.js';
import { SealedAccessTokens } from './access-tokens.js';
import { AuthorizationCodes } from './authorization-codes.js';
import { tokenHash } from './secrets.js';

/** Pending logins; codes, revocations and assertion ids are never evictable. */
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
  /** The login's browser-binding id and the client's state: a repeated callback gets the same redirect. */
  browser: string;
  state: string | undefined;
}

export interface RedeemedCode {
  issued: IssuedCode;
  /** The grant id an access token bought with this code carries (AccessTokenRecord.grant). */
  grant: string;
}

/** What an access token carries, sealed inside it, besides its /userinfo answer. */
export interface AccessTokenRecord {
  clientId: string;
  expiresAt: number;
  /** The code it was bought with (its hash): a replay of that code revokes it. */
  grant: string;
}

/** The claims /userinfo answers with: the subject and what the granted scopes cover. @see OIDC Core §5.3.2 */
export type UserinfoClaims = UserClaims & { sub: string };

export interface OpenedAccessToken {
  record: AccessTokenRecord;
  /** The /userinfo answer as JSON text, made once at /token. */
  userinfo: string;
}

export interface RecordsOptions {
  /** The bridge's own secret (COOKIE_SECRET): every replica must have the same. */
  secret: string;
  /** The longest access-token lifetime of any client: how long a replayed code's revocation must last. */
  maxAccessTokenTtl: number;
}

/**
 * Typed access to the records the provider keeps in the store, and to the ones access tokens
 * carry. Once a login's code is redeemed, nothing of it stays in the store.
 */
export class Records {
  private readonly accessTokens: SealedAccessTokens;
  private readonly codes: AuthorizationCodes;
  private readonly maxAccessTokenTtl: number;

  constructor(
    private readonly store: Store,
    options: RecordsOptions,
  ) {
    this.accessTokens = new SealedAccessTokens(options.secret);
    this.codes = new AuthorizationCodes(options.secret);
    this.maxAccessTokenTtl = options.maxAccessTokenTtl;
  }

  putLogin(id: string, login: PendingLogin, ttl: number): Promise<void> {
    // A full store drops the oldest pending logins first: an abandoned one costs nothing, a live one is started again.
    return this.store.put(`login:${tokenHash(id)}`, storedJson(login), ttl, evictable);
  }

  takeLogin(id: string): Promise<PendingLogin | undefined> {
    return this.store.take(`login:${tokenHash(id)}`).then(parse<PendingLogin>);
  }

  /** The login's code, the same each time it is asked for: what a repeated callback looks up. */
  codeOf(loginId: string): string {
    return this.codes.mint(loginId);
  }

  putCode(code: string, issued: IssuedCode, ttl: number): Promise<void> {
    return this.store.put(`code:${tokenHash(code)}`, storedJson(issued), ttl);
  }

  /** The code's record while it is unredeemed, left in place. */
  async getCode(code: string): Promise<IssuedCode | undefined> {
    return parse<IssuedCode>(await this.store.get(`code:${tokenHash(code)}`));
  }

  /** The code's record, once, and the grant its tokens belong to: what a replay of the code revokes (revokeGrant). */
  async takeCode(code: string): Promise<RedeemedCode | undefined> {
    const grant = tokenHash(code);
    const issued = parse<IssuedCode>(await this.store.take(`code:${grant}`));
    return issued === undefined ? undefined : { issued, grant };
  }

  /**
   * For a code of this bridge's that is no longer in the store (redeemed, or expired): revokes any
   * access token it bought, for as long as one may live; false for a code the bridge never issued.
   * @see RFC 6749 §4.1.2
   */
  async revokeGrant(code: string): Promise<boolean> {
    if (!this.codes.minted(code)) return false;
    await this.store.put(`revoked:${tokenHash(code)}`, '1', this.maxAccessTokenTtl);
    return true;
  }

  /**
   * The token carries its record and its /userinfo answer, sealed: the store keeps nothing for it
   * unless its code is replayed. The answer follows the record's line as JSON text, so /userinfo
   * sends it as it is, without parsing and serialising the claims again on every call.
   */
  issueAccessToken(record: AccessTokenRecord, userinfo: UserinfoClaims, nowSeconds: number): string {
    return this.accessTokens.seal(`${JSON.stringify(record)}\n${JSON.stringify(userinfo)}`, nowSeconds);
  }

  /** What a live, unrevoked token carries; undefined for any other string. */
  async getAccessToken(token: string, nowSeconds: number): Promise<OpenedAccessToken | undefined> {
    const sealed = this.accessTokens.open(token, nowSeconds);
    if (sealed === undefined) return undefined;
    // JSON.stringify escapes every line break, so the first one ends the record. A token sealed
    // before the answer was (one JSON record, no line break) is unknown.
    const recordEnd = sealed.indexOf('\n');
    if (recordEnd < 0) return undefined;
    const record = JSON.parse(sealed.slice(0, recordEnd)) as AccessTokenRecord;
    if (record.expiresAt <= nowSeconds) return undefined;
    if ((await this.store.get(`revoked:${record.grant}`)) !== undefined) return undefined;
    return { record, userinfo: sealed.slice(recordEnd + 1) };
  }

  /** Records a client assertion's jti; false when it was seen before. @see RFC 7523 §3 (7) */
  rememberAssertion(clientId: string, jti: string, ttl: number): Promise<boolean> {
    return this.store.add(`assertion:${tokenHash(`${clientId}\n${jti}`)}`, '1', ttl);
  }
}

/**
 * JSON with every non-ASCII character escaped (`\uXXXX`). A Korean nickname would otherwise make
 * V8 keep the whole record as a two-byte string: twice the memory for every code and pending
 * login the memory store holds, for a few escaped characters. JSON.parse reads it unchanged.
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
