// @see OIDC Core §3.1.3.7, §16.14 (unsigned id_tokens), OIDC Discovery §3. N/A: the suite runs this only for a
// client registered with id_token_signed_response_alg=none; the bridge never offers or issues alg none.
import t from 'tap';
import { decodeProtectedHeader } from 'jose';
import { startBridge } from '../helpers/bridge.js';
import { discovery, freshCode, tokensFor } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('never advertises or issues an unsigned id_token', async (t) => {
  t.notOk(((await discovery(bridge)).id_token_signing_alg_values_supported as string[]).includes('none'));
  const tokens = await tokensFor(bridge, await freshCode(bridge));
  t.not(decodeProtectedHeader(tokens.id_token ?? '').alg, 'none');
  t.ok(((tokens.id_token ?? '').split('.')[2] ?? '').length > 0, 'a signature is present');
});
