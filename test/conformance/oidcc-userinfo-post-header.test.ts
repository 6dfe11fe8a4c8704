// @see OIDC Core §5.3.1 (the UserInfo Endpoint MUST support GET and POST), RFC 6750 §2.1
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';
import { formType, rawRequest, verifiedLogin } from '../helpers/conformance.js';

const bridge = await startBridge(t);

t.test('answers POST with the Bearer header and an empty form body', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  t.equal(response.status, 200);
  t.equal(((await response.json()) as { sub: string }).sub, claims.sub);
});

t.test('answers POST with the Bearer header and no body at all', async (t) => {
  const { tokens, claims } = await verifiedLogin(bridge);
  const response = await fetch(`${bridge.issuer}/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
  t.equal(response.status, 200, 'a POST without a body is a valid UserInfo request');
  if (response.status === 200) t.equal(((await response.json()) as { sub: string }).sub, claims.sub);
});

t.test('answers POST with the Bearer header, Content-Length: 0 and no Content-Type (what Java clients send)', async (t) => {
  const { tokens } = await verifiedLogin(bridge);
  const response = await rawRequest(bridge, 'POST', '/userinfo', [['authorization', `Bearer ${tokens.access_token}`]]);
  t.equal(response.status, 200, response.body);
  const withType = await rawRequest(bridge, 'POST', '/userinfo', [['authorization', `Bearer ${tokens.access_token}`], formType]);
  t.equal(withType.status, 200, withType.body);
});
