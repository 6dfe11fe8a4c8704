// @see RFC 6749 §3.1 and §3.2 (parameters MUST NOT be included more than once), §4.1.2.1, §5.2 (invalid_request)
import t from 'tap';
import { Browser } from '../helpers/browser.js';
import { confidential, startBridge } from '../helpers/bridge.js';
import { errorRedirect, freshCode, oauthError } from '../helpers/conformance.js';
import { authorizeUrl } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('/authorize: a repeated state, scope, nonce or response_type is an invalid_request redirect', async (t) => {
  const repeats: Record<string, string> = { state: 'second', scope: 'openid', nonce: 'n2', response_type: 'code', code_challenge_method: 'S256' };
  for (const [name, value] of Object.entries(repeats)) {
    const response = await new Browser().get(`${authorizeUrl(bridge)}&${name}=${value}`);
    const params = errorRedirect(response);
    t.equal(params.get('error'), 'invalid_request', name);
    t.equal(params.get('code'), null, name);
  }
});

t.test('/authorize: a repeated client_id or redirect_uri is a page, never a redirect', async (t) => {
  for (const extra of [`client_id=${confidential.clientId}`, `redirect_uri=${encodeURIComponent(confidential.redirectUri)}`, 'redirect_uri=https%3A%2F%2Fattacker.example%2Fcb']) {
    const response = await new Browser().get(`${authorizeUrl(bridge)}&${extra}`);
    t.equal(response.status, 400, extra);
    t.equal(response.headers.get('location'), null, extra);
  }
});

t.test('/authorize: a repeated parameter in a POST form is refused too', async (t) => {
  const form = `${new URL(authorizeUrl(bridge)).searchParams.toString()}&state=second`;
  const response = await new Browser().get(`${bridge.issuer}/authorize`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  t.equal(errorRedirect(response).get('error'), 'invalid_request');
});

t.test('/token: a repeated code, grant_type, redirect_uri, client_id or client_secret is invalid_request', async (t) => {
  const code = await freshCode(bridge);
  const base = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: confidential.redirectUri, client_id: confidential.clientId, client_secret: confidential.clientSecret });
  for (const name of ['code', 'grant_type', 'redirect_uri', 'client_id', 'client_secret']) {
    const response = await fetch(`${bridge.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `${base.toString()}&${name}=${encodeURIComponent(base.get(name) ?? '')}`,
    });
    t.equal(response.status, 400, name);
    t.equal((await oauthError(response)).error, 'invalid_request', name);
  }
  const clean = await fetch(`${bridge.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: base });
  t.equal(clean.status, 200, 'the refused requests did not burn the code');
});
