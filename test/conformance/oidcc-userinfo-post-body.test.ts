// @see OIDC Core §5.3.1, RFC 6750 §2.2 (form-encoded body parameter)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('answers POST with access_token in a form body', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  t.equal(response.status, 200);
  t.equal(((await response.json()) as { sub: string }).sub, claims.sub);
});

t.test('refuses the token in both the header and the body with invalid_request', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${tokens.access_token}` },
    body: new URLSearchParams({ access_token: tokens.access_token }),
  });
  t.equal(response.status, 400);
  t.equal(((await response.json()) as { error: string }).error, 'invalid_request');
});

t.test('does not take the token from the query string', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo?access_token=${tokens.access_token}`);
  t.equal(response.status, 401);
});
