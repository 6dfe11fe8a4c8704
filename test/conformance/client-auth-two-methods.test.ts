// @see RFC 6749 §2.3 (a client MUST NOT use more than one authentication method per request), §5.2
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { basic, clientAssertion, freshCode, jwtBearer, oauthError } from '../helpers/conformance.js';
import { postToken } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses two client authentication methods at once with invalid_request', async (t) => {
  const code = await freshCode(bridge);
  const form = { grant_type: 'authorization_code', code, redirect_uri: confidential.redirectUri };
  const assertion = { client_assertion_type: jwtBearer, client_assertion: await clientAssertion(bridge) };
  const header = { authorization: basic(confidential.clientId, confidential.clientSecret) };
  const attempts: Record<string, Promise<Response>> = {
    'basic + post': postToken(bridge, { ...form, client_id: confidential.clientId, client_secret: confidential.clientSecret }, header),
    'basic + jwt': postToken(bridge, { ...form, ...assertion }, header),
    'post + jwt': postToken(bridge, { ...form, client_id: confidential.clientId, client_secret: confidential.clientSecret, ...assertion }),
  };
  for (const [name, attempt] of Object.entries(attempts)) {
    const response = await attempt;
    t.equal(response.status, 400, name);
    t.equal((await oauthError(response)).error, 'invalid_request', name);
  }
});

t.test('refuses a body client_id that differs from the Basic one', async (t) => {
  const response = await postToken(
    bridge,
    { grant_type: 'authorization_code', code: 'x', redirect_uri: confidential.redirectUri, client_id: 'spa' },
    { authorization: basic(confidential.clientId, confidential.clientSecret) },
  );
  t.equal(response.status, 400);
  t.equal((await oauthError(response)).error, 'invalid_request');
});
