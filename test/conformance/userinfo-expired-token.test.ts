// @see RFC 6750 §3.1 (invalid_token: expired), §5.3 (issue short-lived bearer tokens)
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { verifiedLogin } from '../helpers/conformance.js';
import { getUserinfo } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('answers an access token past expires_in with 401 invalid_token', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  t.equal(tokens.expires_in, 3600);
  bridge.advanceClock(tokens.expires_in + 1);
  t.teardown(() => {
    bridge.advanceClock(-(tokens.expires_in + 1));
  });
  const response = await getUserinfo(bridge, tokens.access_token);
  t.equal(response.status, 401);
  t.match(response.headers.get('www-authenticate'), /error="invalid_token"/);
});
