// @see RFC 6749 §5.2 (invalid_client for an unknown client)
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { basic, clientAssertion, freshCode, jwtBearer, oauthError } from '../helpers/conformance.js';
import { postToken } from '../helpers/flow.js';

const bridge = await startBridge(t);

t.test('refuses an unknown client with 401 invalid_client by every method', async (t) => {
  const code = await freshCode(bridge);
  const form = { grant_type: 'authorization_code', code, redirect_uri: confidential.redirectUri };
  const attempts: Record<string, Promise<Response>> = {
    post: postToken(bridge, { ...form, client_id: 'nobody', client_secret: confidential.clientSecret }),
    basic: postToken(bridge, form, { authorization: basic('nobody', confidential.clientSecret) }),
    none: postToken(bridge, { ...form, client_id: 'nobody' }),
    jwt: postToken(bridge, { ...form, client_assertion_type: jwtBearer, client_assertion: await clientAssertion(bridge, { iss: 'nobody', sub: 'nobody' }) }),
    'no client at all': postToken(bridge, form),
  };
  for (const [name, attempt] of Object.entries(attempts)) {
    const response = await attempt;
    t.equal(response.status, 401, name);
    t.equal((await oauthError(response)).error, 'invalid_client', name);
  }
});
