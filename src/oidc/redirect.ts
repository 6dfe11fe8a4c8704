/**
 * The client's redirect_uri with response parameters added to its query (keeping any query it
 * already has) and `iss`, so the client can tell which provider answered. @see RFC 6749 §4.1.2,
 * RFC 9207 §2
 */
export function authorizationResponseUrl(redirectUri: string, issuer: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.append(name, value);
  }
  url.searchParams.append('iss', issuer);
  return url.href;
}
