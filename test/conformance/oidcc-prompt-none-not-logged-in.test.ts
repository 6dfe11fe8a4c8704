// @see OIDC Core §3.1.2.1 (prompt=none), §3.1.2.6 (login_required), RFC 9207 §2
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, errorRedirect } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('answers prompt=none at once with login_required, the state and iss, and no code', async (t) => {
  const params = errorRedirect(await authorize(bridge, { state: 'none-state', extra: { prompt: 'none' } }));
  t.equal(params.get('error'), 'login_required');
  t.equal(params.get('state'), 'none-state');
  t.equal(params.get('iss'), bridge.issuer);
  t.equal(params.get('code'), null);
});
