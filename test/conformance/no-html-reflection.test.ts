// @see RFC 6749 §4.1.2.1 (the page shown instead of a redirect), OWASP XSS Prevention: no input reflected unescaped into HTML
import t from 'tap';
import { confidential, startBridge } from '../helpers/bridge.js';
import { basic, formType, rawRequest, type RawResponse } from '../helpers/conformance.js';

const bridge = await startBridge(t);

const payloads = ['<script>alert(1)</script>', '"><svg/onload=alert(1)>', "'><img src=x onerror=alert(1)>"];

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

const valid = { client_id: confidential.clientId, redirect_uri: confidential.redirectUri, response_type: 'code', scope: 'openid', state: 's' };

function requestsFor(payload: string): [string, () => Promise<RawResponse>][] {
  const get = (path: string, headers: [string, string][] = []) => () => rawRequest(bridge, 'GET', path, headers);
  const post = (path: string, body: string, headers: [string, string][] = [formType]) => () => rawRequest(bridge, 'POST', path, headers, body);
  return [
    ['authorize: unknown client_id', get(`/authorize?${query({ ...valid, client_id: payload })}`)],
    ['authorize: unregistered redirect_uri', get(`/authorize?${query({ ...valid, redirect_uri: payload })}`)],
    ['authorize: redirect_uri javascript:', get(`/authorize?${query({ ...valid, redirect_uri: `javascript:${payload}` })}`)],
    ['authorize: repeated client_id', get(`/authorize?${query({ ...valid })}&client_id=${encodeURIComponent(payload)}`)],
    ['authorize: state', get(`/authorize?${query({ ...valid, state: payload })}`)],
    ['authorize: prompt', get(`/authorize?${query({ ...valid, prompt: payload })}`)],
    ['authorize: response_type', get(`/authorize?${query({ ...valid, response_type: payload })}`)],
    ['authorize: connector_id', get(`/authorize?${query({ ...valid, connector_id: payload })}`)],
    ['authorize: POST form', post('/authorize', query({ ...valid, client_id: payload, state: payload }))],
    ['callback: state, code, error', get(`/callback/kakao?${query({ state: payload, code: payload, error: payload, error_description: payload })}`)],
    ['callback: connector id', get(`/callback/${encodeURIComponent(payload)}?${query({ state: payload })}`)],
    ['callback: cookie', get(`/callback/kakao?${query({ state: 'x' })}`, [['cookie', `kob_browser=${encodeURIComponent(payload)}`]])],
    ['token: form', post('/token', query({ grant_type: payload, code: payload, client_id: payload, client_secret: payload }))],
    ['token: Basic', post('/token', query({ grant_type: 'authorization_code', code: payload }), [formType, ['authorization', basic(payload, payload)]])],
    ['userinfo: bearer', get('/userinfo', [['authorization', `Bearer ${payload}`]])],
    ['userinfo: accept', get('/userinfo', [['accept', payload]])],
    ['unknown path', get(`/${encodeURIComponent(payload)}`)],
    ['discovery query', get(`/.well-known/openid-configuration?${query({ x: payload })}`)],
  ];
}

t.test('never puts a payload into an HTML page unescaped, and marks every answer nosniff', async (t) => {
  for (const payload of payloads) {
    for (const [name, send] of requestsFor(payload)) {
      const response = await send();
      const label = `${name} ${payload.slice(0, 8)}`;
      t.ok(response.status < 500, `${label}: ${String(response.status)}`);
      const type = response.headers.get('content-type')?.[0] ?? '';
      if (response.status !== 302 && response.status !== 431) t.equal(response.headers.get('x-content-type-options')?.[0], 'nosniff', `${label}: nosniff`);
      if (/html/i.test(type)) {
        t.notOk(response.body.includes(payload), `${label}: payload not in the page`);
        t.notMatch(response.body, /<script|<svg|<img/i, `${label}: no injected element`);
        t.match(response.headers.get('content-security-policy')?.[0], /default-src 'none'/, `${label}: CSP`);
      }
      const location = response.headers.get('location')?.[0];
      if (location !== undefined) t.notMatch(location, /[<>"'\s]/, `${label}: Location is URL-encoded`);
    }
  }
});
