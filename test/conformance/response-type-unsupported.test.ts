// @see RFC 6749 §4.1.2.1 (unsupported_response_type), OIDC Core §3 (code flow only is offered)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, errorRedirect } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('refuses every response_type but code with unsupported_response_type', async (t) => {
  for (const responseType of ['token', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'none', 'Code', 'code code']) {
    const params = errorRedirect(await authorize(bridge, { extra: { response_type: responseType } }));
    t.equal(params.get('error'), 'unsupported_response_type', responseType);
    t.equal(params.get('state'), 'rp-state-123', responseType);
    t.equal(params.get('code'), null, responseType);
  }
});

t.test('refuses a response_mode other than query (no fragment, no form_post)', async (t) => {
  for (const mode of ['fragment', 'form_post', 'jwt']) {
    t.equal(errorRedirect(await authorize(bridge, { extra: { response_mode: mode } })).get('error'), 'invalid_request', mode);
  }
});
