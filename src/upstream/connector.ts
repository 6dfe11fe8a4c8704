/**
 * The boundary between the OpenID provider and an identity source (after Dex's
 * connector/connector.go): the provider side never knows which upstream it talks to.
 */

/** OIDC standard claims an upstream can assert about a user. @see OIDC Core §5.1 */
export interface UserClaims {
  name?: string;
  nickname?: string;
  picture?: string;
  gender?: string;
  birthdate?: string;
  email?: string;
  email_verified?: boolean;
  phone_number?: string;
  phone_number_verified?: boolean;
}

export interface Identity {
  /** Stable, unique per user within the connector. */
  subject: string;
  claims: UserClaims;
}

export interface UpstreamAuthorizationRequest {
  /** The bridge's own state for the upstream leg (never the relying party's). */
  state: string;
  redirectUri: string;
  /** PKCE S256 challenge for the upstream leg. @see RFC 9700 §2.1.1 */
  codeChallenge: string;
  /** OIDC `prompt` values the upstream may honour (login, select_account, create). */
  prompt: string[];
  loginHint: string | undefined;
}

export interface UpstreamCallback {
  /** The callback's query parameters, as the upstream sent them. */
  query: Record<string, string | undefined>;
  redirectUri: string;
  codeVerifier: string;
}

export interface Connector {
  readonly id: string;
  authorizationUrl(request: UpstreamAuthorizationRequest): string;
  /** Turns the callback into an identity, or throws UpstreamError. */
  exchange(callback: UpstreamCallback): Promise<Identity>;
}
