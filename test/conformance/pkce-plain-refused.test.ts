// @see RFC 7636 §4.2, §7.2; RFC 9700 §2.1.1 (use S256; plain is refused), discovery code_challenge_methods_supported
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, errorRedirect } from '../helpers/conformance.js';
import { pkcePair } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses code_challenge_method=plain, a missing method, and an unknown one', async (t) => {
  const verifier = pkcePair().verifier;
  for (const method of ['plain', undefined, 'S512', 's256']) {
    const extra: Record<string, string> = { code_challenge: verifier };
    if (method !== undefined) extra.code_challenge_method = method;
    const params = errorRedirect(await authorize(bridge, { extra }));
    t.equal(params.get('error'), 'invalid_request', String(method));
  }
});

t.test('refuses a malformed S256 challenge', async (t) => {
  for (const challenge of ['short', `${'a'.repeat(42)}=`, 'a'.repeat(44), `${'a'.repeat(42)}+`]) {
    t.equal(errorRedirect(await authorize(bridge, { extra: { code_challenge: challenge, code_challenge_method: 'S256' } })).get('error'), 'invalid_request', challenge);
  }
});
