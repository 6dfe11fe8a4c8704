// @see RFC 9110 §5.3 (Authorization is not a list field), RFC 6750 §3.1 and RFC 6749 §5.2 (invalid_request: repeated parameter, multiple credentials)
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { basic, formType, rawRequest, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('refuses a UserInfo request with two Authorization header lines', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  const cases: Record<string, string[]> = {
    'valid token first': [`Bearer ${tokens.access_token}`, 'Bearer not-a-token'],
    'valid token second': ['Bearer not-a-token', `Bearer ${tokens.access_token}`],
  };
  for (const [name, values] of Object.entries(cases)) {
    const response = await rawRequest(bridge, 'GET', '/userinfo', values.map((value): [string, string] => ['authorization', value]));
    t.equal(response.status, 400, `${name}: invalid_request, not whichever line the server keeps`);
    t.notMatch(response.body, /"sub"/, `${name}: no claims`);
  }
});

t.test('refuses a token request with two Authorization header lines', async (t) => {
  const form = new URLSearchParams({ grant_type: 'authorization_code', code: 'any', redirect_uri: confidential.redirectUri }).toString();
  const response = await rawRequest(
    bridge,
    'POST',
    '/token',
    [formType, ['authorization', basic(confidential.clientId, confidential.clientSecret)], ['authorization', basic('intruder', 'guess')]],
    form,
  );
  t.match(response.body, /"error":"invalid_request"/, 'refused before the first line authenticates the client');
  t.equal(response.status, 400);
});

t.test('never answers 5xx to one Authorization line folded with commas', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, { headers: [['authorization', `Bearer ${tokens.access_token}`], ['authorization', 'Bearer other']] });
  t.equal(response.status, 401, 'fetch folds them into one value that is no Bearer token');
});
