// @see RFC 7636 §4.4.1, RFC 9700 §2.1.1 (public clients MUST use PKCE)
import t from 'tap';
import { publicClient, startBridge } from '../helpers/bridge.js';
import { authorize, errorRedirect, goesToKakao } from '../helpers/conformance.js';
import { pkcePair } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses a public client authorization request without code_challenge', async (t) => {
  const params = errorRedirect(await authorize(bridge, { clientId: publicClient.clientId, redirectUri: publicClient.redirectUri }));
  t.equal(params.get('error'), 'invalid_request');
  t.match(params.get('error_description'), /PKCE/);
  t.ok(goesToKakao(bridge, await authorize(bridge, { clientId: publicClient.clientId, redirectUri: publicClient.redirectUri, codeChallenge: pkcePair().challenge })));
});
