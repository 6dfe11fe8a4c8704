import t, { type Test } from 'tap';
import { demoBanner, demoClientId, startDemo, type Demo } from '../src/demo/demo.js';
import { defaultFakeUser } from '../src/demo/fake-kakao.js';
import { startDemoRelyingParty } from '../src/demo/relying-party.js';
import { Browser } from './helpers/browser.js';

const demo: Demo = await startDemo({ port: 0, rpPort: 0, dataDir: t.testdir(), logLevel: 'silent' });
t.teardown(() => demo.close());

function unescapeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The JSON shown in `<pre id="…">` on a result page. */
function shownJson(html: string, id: string): Record<string, unknown> {
  const match = new RegExp(`<pre id="${id}">([\\s\\S]*?)</pre>`).exec(html);
  if (match?.[1] === undefined) throw new Error(`no <pre id="${id}"> on the page`);
  return JSON.parse(unescapeHtml(match[1])) as Record<string, unknown>;
}

function locationOf(response: Response, base: string): string {
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) throw new Error(`expected a redirect from ${base}, got ${response.status}`);
  return new URL(location, base).href;
}

/** Submits the consent form the way the browser would: its action, its hidden fields, and the button pressed. */
async function submitConsent(t: Test, browser: Browser, pageUrl: string, html: string, decision: 'agree' | 'cancel'): Promise<Response> {
  const form = /<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/.exec(html);
  if (form?.[1] === undefined || form[2] === undefined) throw new Error('no consent form on the page');
  const body = new URLSearchParams();
  for (const input of form[2].matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    body.append(unescapeHtml(input[1] ?? ''), unescapeHtml(input[2] ?? ''));
  }
  t.ok(form[2].includes(`name="decision" value="${decision}"`), `the consent form has a ${decision} button`);
  body.append('decision', decision);
  return browser.get(new URL(unescapeHtml(form[1]), pageUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
}

/** A person opens the demo page, clicks the button, and answers the simulated Kakao consent page. */
async function signIn(t: Test, decision: 'agree' | 'cancel'): Promise<{ status: number; html: string; url: string }> {
  const browser = new Browser();
  const home = await browser.get(`${demo.rpUrl}/`);
  t.equal(home.status, 200);
  const homeHtml = await home.text();
  t.match(homeHtml, 'Sign in with Kakao (simulated)');
  const button = /<a class="button" href="([^"]+)">Sign in with Kakao \(simulated\)<\/a>/.exec(homeHtml);
  if (button?.[1] === undefined) throw new Error('no sign-in button');

  const start = new URL(button[1], `${demo.rpUrl}/`).href;
  const authorize = locationOf(await browser.get(start), start);
  t.ok(authorize.startsWith(`${demo.issuer}/authorize?`), 'the button leads to the bridge');
  const params = new URL(authorize).searchParams;
  t.equal(params.get('client_id'), demoClientId);
  t.equal(params.get('code_challenge_method'), 'S256');
  t.ok(params.get('state'), 'state is sent');
  t.ok(params.get('nonce'), 'nonce is sent');
  t.ok(browser.cookies.has('demo_rp_session'), 'the relying party keeps its state under a cookie');

  const kakaoUrl = locationOf(await browser.get(authorize), authorize);
  t.ok(kakaoUrl.startsWith(`${demo.kakao.url}/oauth/authorize?`), 'the bridge sends the browser to the simulated Kakao');
  const consent = await browser.get(kakaoUrl);
  t.equal(consent.status, 200);
  const consentHtml = await consent.text();
  t.match(consentHtml, 'Kakao Login');
  t.match(consentHtml, defaultFakeUser.nickname!);

  const callback = locationOf(await submitConsent(t, browser, kakaoUrl, consentHtml, decision), kakaoUrl);
  t.ok(callback.startsWith(`${demo.issuer}/callback/kakao?`), 'Kakao redirects back to the bridge');
  const rpCallback = locationOf(await browser.get(callback), callback);
  t.ok(rpCallback.startsWith(`${demo.rpUrl}/callback?`), 'the bridge redirects to the relying party');
  t.equal(new URL(rpCallback).searchParams.get('iss'), demo.issuer);

  const result = await browser.get(rpCallback);
  return { status: result.status, html: await result.text(), url: rpCallback };
}

t.test('the banner says DEMO MODE and names the page to open', (t) => {
  const banner = demoBanner(demo);
  t.match(banner, 'DEMO MODE');
  t.match(banner, /NEVER USE THIS FOR PRODUCTION/);
  t.match(banner, demo.rpUrl);
  t.match(demo.rpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(demo.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.end();
});

t.test('Agree: the relying party shows the verified id_token and the userinfo', async (t) => {
  const { status, html } = await signIn(t, 'agree');
  t.equal(status, 200, 'the callback page answers 200');
  t.match(html, 'Signed in');

  const header = shownJson(html, 'id-token-header');
  t.equal(header.alg, 'RS256');
  t.type(header.kid, 'string');

  const claims = shownJson(html, 'id-token-claims');
  t.equal(claims.iss, demo.issuer);
  t.equal(claims.aud, demoClientId);
  t.equal(claims.sub, defaultFakeUser.id);
  t.equal(claims.name, defaultFakeUser.nickname);
  t.equal(claims.email, defaultFakeUser.email);
  t.type(claims.nonce, 'string');

  const userinfo = shownJson(html, 'userinfo');
  t.equal(userinfo.sub, defaultFakeUser.id);
  t.equal(userinfo.name, defaultFakeUser.nickname);
  t.equal(userinfo.email, defaultFakeUser.email);
  t.equal(userinfo.email_verified, true);

  const tokens = shownJson(html, 'token-response');
  t.match(tokens.token_type, /^bearer$/i);
  t.notMatch(html, /eyJ[\w-]{40,}\.[\w-]+\.[\w-]+/, 'the raw id_token is not printed on the page');
});

t.test('Cancel: the relying party shows access_denied', async (t) => {
  const { status, html, url } = await signIn(t, 'cancel');
  t.equal(new URL(url).searchParams.get('error'), 'access_denied');
  t.equal(status, 400);
  t.match(html, '<code id="error">access_denied</code>');
  t.match(html, 'Cancel');
  t.notMatch(html, 'id-token-claims');
});

t.test('a replayed callback is refused: the state was single use', async (t) => {
  const browser = new Browser();
  const start = locationOf(await browser.get(`${demo.rpUrl}/login`), `${demo.rpUrl}/login`);
  const state = new URL(start).searchParams.get('state')!;
  const forged = await browser.get(`${demo.rpUrl}/callback?code=x&state=wrong&iss=${encodeURIComponent(demo.issuer)}`);
  t.equal(forged.status, 400);
  t.match(await forged.text(), 'State mismatch');
  const again = await browser.get(`${demo.rpUrl}/callback?code=x&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(demo.issuer)}`);
  t.equal(again.status, 400);
  t.match(await again.text(), 'No sign-in in progress');
});

t.test('a callback with the wrong iss is refused', async (t) => {
  const browser = new Browser();
  const start = locationOf(await browser.get(`${demo.rpUrl}/login`), `${demo.rpUrl}/login`);
  const state = new URL(start).searchParams.get('state')!;
  const response = await browser.get(`${demo.rpUrl}/callback?code=x&state=${encodeURIComponent(state)}&iss=${encodeURIComponent('https://evil.example')}`);
  t.equal(response.status, 400);
  t.match(await response.text(), 'Issuer mismatch');
});

t.test('a code the bridge does not know: the token error is shown', async (t) => {
  const browser = new Browser();
  const start = locationOf(await browser.get(`${demo.rpUrl}/login`), `${demo.rpUrl}/login`);
  const state = new URL(start).searchParams.get('state')!;
  const response = await browser.get(`${demo.rpUrl}/callback?code=bogus&state=${encodeURIComponent(state)}&iss=${encodeURIComponent(demo.issuer)}`);
  t.equal(response.status, 400);
  const html = await response.text();
  t.match(html, 'Token request failed');
  t.equal(shownJson(html, 'error-details').error, 'invalid_grant');
});

t.test('a provider that cannot be reached: the error is shown, not thrown', async (t) => {
  const rp = await startDemoRelyingParty({ issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 'y' });
  t.teardown(() => rp.close());
  const response = await fetch(`${rp.url}/login`, { redirect: 'manual' });
  t.equal(response.status, 400);
  t.match(await response.text(), 'Provider unreachable');
});

t.test('other paths and methods', async (t) => {
  t.equal((await fetch(`${demo.rpUrl}/nope`)).status, 404);
  t.equal((await fetch(`${demo.rpUrl}/`, { method: 'POST' })).status, 405);
  const home = await fetch(`${demo.rpUrl}/`);
  t.match(home.headers.get('content-security-policy'), "default-src 'none'");
});
