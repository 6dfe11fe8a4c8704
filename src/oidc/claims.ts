import type { UserClaims } from '../upstream/connector.js';

/** @see OIDC Core §5.4: the claims each scope asks for. */
const claimsByScope: Record<string, readonly (keyof UserClaims)[]> = {
  // OIDC's profile scope also covers locale, zoneinfo, etc.: Kakao gives none of them.
  profile: ['name', 'nickname', 'picture', 'gender', 'birthdate'],
  email: ['email', 'email_verified'],
  phone: ['phone_number', 'phone_number_verified'],
};

export const supportedScopes = ['openid', ...Object.keys(claimsByScope)];
export const supportedClaims = ['sub', ...Object.values(claimsByScope).flat()];

/** Keeps only the claims the granted scopes cover. */
export function claimsForScopes(claims: UserClaims, scopes: readonly string[]): UserClaims {
  const granted: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const name of claimsByScope[scope] ?? []) {
      if (claims[name] !== undefined) granted[name] = claims[name];
    }
  }
  return granted;
}

/** The supported scopes among `requested` (space-separated); unknown ones are ignored. @see OIDC Core §5.4 */
export function grantedScopes(requested: string | undefined): string[] {
  const asked = new Set((requested ?? '').split(' ').filter((scope) => scope !== ''));
  return supportedScopes.filter((scope) => asked.has(scope));
}
