/** The oidc-provider anchor: started on the server core, codes created before the load, logins driven like the bridge's. */
import { fileURLToPath } from 'node:url';
import { CookieJar, type Client } from './http.js';
import { relyingParty } from './fixtures.js';
import { serverCore, spawnBenchServer, type Spawned } from './procs.js';
import { authorizationQuery, tokenForm, tokenHeaders } from './bridge.js';

const anchorScript = fileURLToPath(new URL('../servers/oidc-provider.ts', import.meta.url));

export function startAnchor(port: number): Promise<Spawned> {
  return spawnBenchServer(anchorScript, serverCore, { PORT: String(port) });
}

export async function createAnchorCodes(client: Client, origin: string, count: number): Promise<string[]> {
  const response = await client.send(`${origin}/bench/codes?n=${count}`, { method: 'POST' });
  if (response.status !== 200) throw new Error(`oidc-provider codes: ${response.status} ${response.body.slice(0, 200)}`);
  return JSON.parse(response.body) as string[];
}

/** /auth, through the instant interaction when there is no session yet, to the code for the relying party. */
export async function anchorAuthorize(client: Client, origin: string, jar: CookieJar): Promise<string> {
  let url = `${origin}/auth?${authorizationQuery()}`;
  for (let hop = 0; hop < 6; hop++) {
    const response = await client.send(url, { headers: jar.header() });
    jar.store(response.setCookies);
    if (response.location === undefined) throw new Error(`oidc-provider ${new URL(url).pathname}: ${response.status} ${response.body.slice(0, 300)}`);
    if (response.location.startsWith(relyingParty.redirectUri)) {
      const code = new URL(response.location).searchParams.get('code');
      if (code === null) throw new Error(`oidc-provider: no code in ${response.location}`);
      return code;
    }
    url = response.location;
  }
  throw new Error('oidc-provider: too many redirects');
}

export async function anchorRedeem(client: Client, origin: string, code: string): Promise<string> {
  const response = await client.send(`${origin}/token`, { method: 'POST', headers: tokenHeaders, body: tokenForm(code) });
  if (response.status !== 200) throw new Error(`oidc-provider /token: ${response.status} ${response.body.slice(0, 300)}`);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}

/** A browser that has logged in once: its session and grant let /auth answer with a code at once. */
export async function anchorSession(client: Client, origin: string): Promise<CookieJar> {
  const jar = new CookieJar();
  await anchorAuthorize(client, origin, jar);
  return jar;
}

/** authorize → code → token, in a browser that already has a session (oidc-provider calls no upstream). */
export async function anchorLogin(client: Client, origin: string, jar: CookieJar): Promise<number> {
  const started = performance.now();
  const code = await anchorAuthorize(client, origin, jar);
  await anchorRedeem(client, origin, code);
  return performance.now() - started;
}
