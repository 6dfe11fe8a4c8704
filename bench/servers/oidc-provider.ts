/**
 * The anchor: panva's oidc-provider 9 doing the bridge's job for the same relying party, with the
 * same user claims, RS256 with a 2048-bit key, opaque access tokens, and a Map adapter (its
 * bundled adapter is a 1000-entry LRU for development, which cannot hold a benchmark's codes).
 *
 * Interactions finish at once (the account logs in and consents to every scope), so a browser
 * with a session gets a code straight from /auth. Two routes outside the provider, not measured:
 *   POST /bench/codes?n=N   N authorization codes created through the provider's models
 *   GET  /interaction/:uid  the instant login + consent
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import { Provider, type Account, type Adapter, type AdapterPayload } from 'oidc-provider';
import { announceReady, exitWithParent, relyingParty, scope, userClaims } from '../lib/fixtures.js';

exitWithParent();
const port = Number(process.env.PORT ?? '0');
const issuer = `http://127.0.0.1:${port}`;

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

const entries = new Map<string, Entry>();
const sessionsByUid = new Map<string, string>();

/** Entries expire lazily, like the bridge's MemoryStore. */
class MapAdapter implements Adapter {
  private readonly model: string;

  constructor(model: string) {
    this.model = model;
  }

  private key(id: string): string {
    return `${this.model}:${id}`;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number | undefined): Promise<void> {
    entries.set(this.key(id), { payload, expiresAt: expiresIn === undefined ? Infinity : Date.now() + expiresIn * 1000 });
    if (this.model === 'Session' && payload.uid !== undefined) sessionsByUid.set(payload.uid, id);
    return Promise.resolve();
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.key(id);
    const entry = entries.get(key);
    if (entry !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry?.payload);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = sessionsByUid.get(uid);
    return id === undefined ? Promise.resolve(undefined) : this.find(id);
  }

  findByUserCode(): Promise<AdapterPayload | undefined> {
    return Promise.resolve(undefined);
  }

  consume(id: string): Promise<void> {
    const entry = entries.get(this.key(id));
    if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
    return Promise.resolve();
  }

  destroy(id: string): Promise<void> {
    entries.delete(this.key(id));
    return Promise.resolve();
  }

  revokeByGrantId(grantId: string): Promise<void> {
    for (const [key, entry] of entries) if (entry.payload.grantId === grantId) entries.delete(key);
    return Promise.resolve();
  }
}

const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'anchor-rs256' };

const { sub, ...profile } = userClaims;
const account: Account = { accountId: sub, claims: () => ({ sub, ...profile }) };

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: relyingParty.clientId,
      client_secret: relyingParty.clientSecret,
      redirect_uris: [relyingParty.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['anchor-cookie-key-0123456789abcdef'] },
  claims: { openid: ['sub'], profile: ['name', 'nickname', 'picture'], email: ['email', 'email_verified'] },
  // The bridge puts the profile claims in the id_token too (Logto reads them there).
  conformIdTokenClaims: false,
  findAccount: (_ctx: unknown, id: string) => (id === sub ? account : undefined),
  features: { devInteractions: { enabled: false } },
  interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Grant: 86_400, Session: 86_400, Interaction: 600 },
});

async function newGrant(): Promise<string> {
  const grant = new provider.Grant({ accountId: sub, clientId: relyingParty.clientId });
  grant.addOIDCScope(scope);
  return grant.save();
}

/** Login and consent at once: the account, and a grant for every scope asked. */
async function interaction(request: IncomingMessage, response: ServerResponse): Promise<void> {
  await provider.interactionDetails(request, response);
  await provider.interactionFinished(request, response, { login: { accountId: sub }, consent: { grantId: await newGrant() } });
}

/** Codes as /auth would have issued them (one grant for all; each code single-use). */
async function createCodes(count: number): Promise<string[]> {
  const client = await provider.Client.find(relyingParty.clientId);
  const grantId = await newGrant();
  const authTime = Math.floor(Date.now() / 1000);
  const codes: string[] = [];
  for (let index = 0; index < count; index++) {
    const code = new provider.AuthorizationCode({
      accountId: sub,
      client,
      grantId,
      scope,
      redirectUri: relyingParty.redirectUri,
      nonce: `rp-nonce-${index}`,
      authTime,
    });
    codes.push(await code.save());
  }
  return codes;
}

const handle = provider.callback();
const server = createServer((request, response) => {
  const url = request.url ?? '/';
  if (url.startsWith('/interaction/')) {
    interaction(request, response).catch((error: unknown) => {
      response.statusCode = 500;
      response.end(String(error));
    });
  } else if (url.startsWith('/bench/codes')) {
    const count = Number(new URL(url, issuer).searchParams.get('n') ?? '1');
    createCodes(Math.min(count, 100_000)).then(
      (codes) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(codes));
      },
      (error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      },
    );
  } else {
    handle(request, response);
  }
});
server.listen(port, '127.0.0.1', () => {
  announceReady(issuer);
});
