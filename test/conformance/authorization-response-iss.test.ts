// @see RFC 9207 §2 (iss in every authorization response, success and error), §2.4 (equal to the discovery issuer), RFC 9700 §4.4 (mix-up)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { authorize, discovery, errorRedirect } from '../helpers/conformance.js';
import { signIn } from '../helpers/flow.js';

const bridge = await startBridge(t, { issuerPath: '/kakao' });

t.test('puts the discovery issuer in iss on success and on every error redirect', async (t) => {
  const issuer = (await discovery(bridge)).issuer;
  t.equal(issuer, bridge.issuer);
  t.equal((await signIn(bridge)).searchParams.get('iss'), issuer, 'success');
  const errors: Record<string, string>[] = [{ prompt: 'none' }, { response_type: 'token' }, { request: 'x.y.z' }];
  for (const extra of errors) {
    t.equal(errorRedirect(await authorize(bridge, { extra })).get('iss'), issuer, JSON.stringify(extra));
  }
  bridge.kakao.faults.add('cancel');
  t.teardown(() => bridge.kakao.faults.clear());
  const cancelled = await signIn(bridge);
  t.equal(cancelled.searchParams.get('error'), 'access_denied');
  t.equal(cancelled.searchParams.get('iss'), issuer, 'upstream error');
});
