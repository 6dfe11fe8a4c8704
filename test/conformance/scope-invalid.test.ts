// @see RFC 6749 §3.3 (the server may ignore scopes and must then say what it granted), OIDC Core §3.1.2.1 (openid makes it an OIDC request)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { freshCode, tokensFor, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('ignores unknown scopes and reports only the granted ones', async (t) => {
  const { tokens } = await verifiedLogin(bridge, { scope: 'openid admin offline_access profile:write email' });
  t.equal(tokens.scope, 'openid email');
});

t.test('issues no id_token when openid is missing (plain OAuth 2.0)', async (t) => {
  const tokens = await tokensFor(bridge, await freshCode(bridge, { scope: 'unknown-only' }));
  t.equal(tokens.id_token, undefined);
  t.equal(tokens.scope, '');
  t.type(tokens.access_token, 'string');
});
