// @see OIDC Core §3.1.2.1 (id_token_hint). The hint is accepted and ignored; the suite's module pairs
// it with prompt=none, which the bridge answers with login_required (see oidcc-prompt-none-logged-in).
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, errorRedirect, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('signs in again with the first id_token as id_token_hint, with the same sub', async (t) => {
  const first = await verifiedLogin(bridge);
  const second = await verifiedLogin(bridge, { extra: { id_token_hint: first.tokens.id_token ?? '' } });
  t.equal(second.claims.sub, first.claims.sub);
});

t.test('answers prompt=none with an id_token_hint with login_required, and a garbage hint without crashing', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  t.equal(errorRedirect(await authorize(bridge, { extra: { prompt: 'none', id_token_hint: tokens.id_token ?? '' } })).get('error'), 'login_required');
  const garbage = await verifiedLogin(bridge, { extra: { id_token_hint: 'not.a.jwt' } });
  t.equal(garbage.claims.sub, bridge.kakao.user.id);
});
