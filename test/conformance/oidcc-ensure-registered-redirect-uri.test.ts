// @see OIDC Core §3.1.2.1 (simple string comparison), RFC 6749 §3.1.2.3, §4.1.2.1, RFC 9700 §2.1, §4.1 (exact matching, no open redirect)
import t from 'tap';
import { confidential, publicClient, startBridge } from '../helpers/bridge.js';
import { authorize } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('shows an error page, never a redirect, for a redirect_uri that is not registered exactly', async (t) => {
  const registered = confidential.redirectUri;
  for (const redirectUri of [
    'https://attacker.example/callback',
    `${registered}/`,
    `${registered}/../evil`,
    `${registered}?x=1`,
    `${registered}#frag`,
    `${registered}%2F`,
    registered.replace('127.0.0.1', 'localhost'),
    registered.replace('http:', 'https:'),
    registered.replace(':9/', ':09/'),
    registered.toUpperCase(),
    `${registered}.attacker.example`,
    publicClient.redirectUri,
  ]) {
    const response = await authorize(bridge, { redirectUri });
    t.equal(response.status, 400, redirectUri);
    t.equal(response.headers.get('location'), null, `${redirectUri}: not redirected`);
  }
});

t.test('shows an error page, never a redirect, for an unknown or missing client_id', async (t) => {
  for (const clientId of ['nobody', ' logto', 'LOGTO']) {
    const response = await authorize(bridge, { clientId });
    t.equal(response.status, 400, clientId);
    t.equal(response.headers.get('location'), null, clientId);
  }
});
