// @see RFC 9110 §15.5.14: every POST route refuses a body over 64 KiB with 413, whatever its framing.
import t from 'tap';
import { startBridge } from '../helpers/bridge.js';

// A PUBLIC_URL path mounts every endpoint twice (at the root and under /kakao): both are checked.
const bridge = await startBridge(t, { issuerPath: '/kakao', env: { RATE_LIMIT_AUTHORIZE: '0', RATE_LIMIT_TOKEN: '0' } });
const origin = new URL(bridge.issuer).origin;
const limit = 64 * 1024;

/** Every route that takes POST, read from the router itself, so a new one cannot be missed. */
const postRoutes = bridge.app
  .printRoutes({ method: 'POST', commonPrefix: false })
  .split('\n')
  .map((line) => /([/][^\s]*) \(POST\)/.exec(line)?.[1])
  .filter((path): path is string => path !== undefined);

function form(bytes: number): string {
  const prefix = 'client_id=logto&padding=';
  return prefix + 'a'.repeat(bytes - prefix.length);
}

t.test('finds the POST routes', async (t) => {
  t.same(postRoutes.sort(), ['/authorize', '/kakao/authorize', '/kakao/token', '/kakao/userinfo', '/token', '/userinfo']);
});

for (const path of postRoutes) {
  t.test(`POST ${path} refuses a body over 64 KiB with 413`, async (t) => {
    const declared = await fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(limit + 1) });
    t.equal(declared.status, 413, 'with Content-Length');
    t.match(await declared.json(), { error: 'invalid_request' });

    const chunks = [form(40 * 1024), 'b'.repeat(40 * 1024)];
    const streamed = await fetch(`${origin}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new ReadableStream({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(chunk));
        },
      }),
      duplex: 'half',
    });
    t.equal(streamed.status, 413, 'chunked, without Content-Length');

    const within = await fetch(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(limit - 1024) });
    t.not(within.status, 413, `a body under the limit is read (${String(within.status)})`);
    t.ok(within.status < 500);
  });
}

t.test('refuses a large body of another content type without reading it', async (t) => {
  const response = await fetch(`${origin}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(limit) }) });
  t.ok(response.status === 413 || response.status === 415, String(response.status));
});

t.test('stays healthy afterwards', async (t) => {
  t.equal((await fetch(`${origin}/healthz`)).status, 200);
});
