// @see RFC 6749 §3.1.2 (a registered redirect_uri may have a query, which MUST be kept), OIDC Core §3.1.2.1
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { freshCode, tokensFor } from '../helpers/conformance.js';
import { signIn } from '../helpers/flow.js';

const withQuery = `${confidential.redirectUri}?foo=bar`;
const bridge = await startBridge(t, { env: { OIDC_REDIRECT_URIS: `${confidential.redirectUri},${withQuery}` } });

t.test('keeps the registered query and adds code, state and iss to it', async (t) => {
  const callback = await signIn(bridge, { redirectUri: withQuery, state: 'q-state' });
  t.equal(callback.searchParams.get('foo'), 'bar');
  t.equal(callback.searchParams.get('state'), 'q-state');
  t.equal(callback.searchParams.get('iss'), bridge.issuer);
  t.ok(callback.searchParams.get('code'));
});

t.test('redeems the code with the same redirect_uri', async (t) => {
  const tokens = await tokensFor(bridge, await freshCode(bridge, { redirectUri: withQuery }), { redirect_uri: withQuery });
  t.type(tokens.id_token, 'string');
});
