import type { Identity, UserClaims } from './connector.js';

/** A /v2/user/me body that does not have the shape Kakao documents. */
export class MalformedKakaoResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedKakaoResponse';
  }
}

interface KakaoProfile {
  nickname?: unknown;
  profile_image_url?: unknown;
  is_default_image?: unknown;
}

interface KakaoAccount {
  profile?: KakaoProfile;
  email?: unknown;
  is_email_valid?: unknown;
  is_email_verified?: unknown;
  phone_number?: unknown;
  gender?: unknown;
  birthyear?: unknown;
  birthday?: unknown;
  birthday_type?: unknown;
}

interface KakaoUser {
  id?: unknown;
  properties?: { nickname?: unknown };
  kakao_account?: KakaoAccount;
}

/** Marks a numeric `id` with its source text; a class no JSON body can forge. */
class NumericSource {
  constructor(readonly text: string | undefined) {}
}

/** Kakao user ids are signed int64; real ones are positive. @see kakao-api.md §3 */
const kakaoIdPattern = /^[1-9]\d{0,18}$/;

/**
 * Parses a /v2/user/me body into an identity. An id above 2^53 would lose digits to a plain
 * JSON.parse, so such ids are read from the JSON source text; the common case, an id that a
 * number holds exactly and that the body spells as plain digits, skips that slower parse.
 */
export function parseKakaoUser(body: string): Identity {
  const user = parseObject(body, false);
  const { id } = user as KakaoUser;
  const subject = typeof id === 'number' && spelledAsDigits(body, id) ? String(id) : sourceTextOfId(parseObject(body, true));
  if (subject === undefined || !kakaoIdPattern.test(subject)) throw new MalformedKakaoResponse('user/me has no numeric id');
  const { properties, kakao_account: account } = user as KakaoUser;
  return { subject, claims: kakaoClaims(account ?? {}, properties) };
}

function parseObject(body: string, keepIdSource: boolean): object {
  let user: unknown;
  try {
    user = keepIdSource
      ? JSON.parse(body, (key, value: unknown, context?: { source?: string }) =>
          key === 'id' && typeof value === 'number' ? new NumericSource(context?.source) : value,
        )
      : JSON.parse(body);
  } catch {
    throw new MalformedKakaoResponse('user/me body is not JSON');
  }
  if (typeof user !== 'object' || user === null || Array.isArray(user)) throw new MalformedKakaoResponse('user/me body is not an object');
  return user;
}

/** The body holds `"id":<id's digits>` ending the member: not 1.0, 1e3 or 10 for an id of 1. */
function spelledAsDigits(body: string, id: number): boolean {
  if (!Number.isSafeInteger(id)) return false;
  const member = `"id":${String(id)}`;
  const at = body.indexOf(member);
  const next = body[at + member.length];
  return at >= 0 && (next === ',' || next === '}');
}

function sourceTextOfId(user: object): string | undefined {
  const { id } = user as KakaoUser;
  return id instanceof NumericSource ? id.text : undefined;
}

function kakaoClaims(account: KakaoAccount, properties: KakaoUser['properties']): UserClaims {
  const claims: UserClaims = {};
  const nickname = text(account.profile?.nickname) ?? text(properties?.nickname);
  if (nickname !== undefined) {
    claims.name = nickname;
    claims.nickname = nickname;
  }
  const picture = text(account.profile?.profile_image_url);
  // Kakao's placeholder avatar is not the user's picture (Logto's Kakao connector drops it too).
  if (picture !== undefined && account.profile?.is_default_image !== true) claims.picture = picture;
  const gender = text(account.gender);
  if (gender === 'female' || gender === 'male') claims.gender = gender;
  const birthdate = birthdateOf(account);
  if (birthdate !== undefined) claims.birthdate = birthdate;
  const email = text(account.email);
  if (email !== undefined) {
    claims.email = email;
    // Kakao: use the email only when it is both valid and verified. @see kakao-api.md §3
    claims.email_verified = account.is_email_valid === true && account.is_email_verified === true;
  }
  // Checked after the spaces and dashes are gone: a blank number is no number, verified or not.
  const phone = text(toE164(text(account.phone_number) ?? ''));
  if (phone !== undefined) {
    claims.phone_number = phone;
    // A Kakao Account phone number is confirmed by SMS when it is added to the account.
    claims.phone_number_verified = true;
  }
  return claims;
}

/**
 * OIDC Core §5.1: YYYY-MM-DD, 0000-MM-DD when the year is withheld, or YYYY alone. A lunar
 * birthday is not a Gregorian date, so only its year is given.
 */
function birthdateOf(account: KakaoAccount): string | undefined {
  const year = text(account.birthyear);
  const validYear = year !== undefined && /^\d{4}$/.test(year) ? year : undefined;
  const monthDay = text(account.birthday);
  const solar = account.birthday_type !== 'LUNAR';
  if (monthDay !== undefined && /^\d{4}$/.test(monthDay) && solar) {
    return `${validYear ?? '0000'}-${monthDay.slice(0, 2)}-${monthDay.slice(2)}`;
  }
  return validYear;
}

/** Kakao writes `+82 10-1234-5678`; OIDC Core §5.1 recommends E.164 (`+821012345678`). */
function toE164(phone: string): string {
  return phone.replace(/[\s-]/g, '');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
