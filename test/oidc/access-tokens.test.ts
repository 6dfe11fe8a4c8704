import t from 'tap';
import { SealedTokens } from '../../src/oidc/access-tokens.js';

const secret = 'a-bridge-secret-of-at-least-32-characters';
const tokens = new SealedTokens(secret, 'access-token');
const record = JSON.stringify({ clientId: 'logto', subject: '9223372036854775807', scopes: ['openid'], claims: { name: '김카카오' }, expiresAt: 1 });

t.test('opens what it sealed, byte for byte (non-ASCII included)', async (t) => {
  t.equal(tokens.open(tokens.seal(record)), record);
});

t.test('seals the same record differently each time, as a URL-safe b64token', async (t) => {
  const [first, second] = [tokens.seal(record), tokens.seal(record)];
  t.not(first, second);
  t.match(first, /^[A-Za-z0-9_-]+$/, 'RFC 6750 b64token, no padding');
  t.notMatch(first, /logto|9223372036854775807/, 'the contents are not readable');
});

t.test('refuses a token sealed under another secret or for another purpose', async (t) => {
  const sealed = tokens.seal(record);
  t.equal(new SealedTokens('another-secret-of-at-least-32-characters', 'access-token').open(sealed), undefined);
  t.equal(new SealedTokens(secret, 'something-else').open(sealed), undefined);
});

t.test('refuses every single-byte alteration, truncation and extension', async (t) => {
  const sealed = Buffer.from(tokens.seal(record), 'base64url');
  let opened = 0;
  for (let index = 0; index < sealed.length; index++) {
    const altered = Buffer.from(sealed);
    altered[index] = (altered[index] ?? 0) ^ 0x01;
    if (tokens.open(altered.toString('base64url')) !== undefined) opened++;
  }
  t.equal(opened, 0, `none of ${String(sealed.length)} altered tokens opened`);
  t.equal(tokens.open(sealed.subarray(0, -1).toString('base64url')), undefined, 'truncated');
  t.equal(tokens.open(Buffer.concat([sealed, Buffer.from([0])]).toString('base64url')), undefined, 'extended');
});

t.test('accepts only the canonical encoding: padding, whitespace or stray characters make it unknown', async (t) => {
  const sealed = tokens.seal(record);
  for (const variant of [`${sealed}=`, `${sealed} `, ` ${sealed}`, `${sealed.slice(0, 10)}.${sealed.slice(10)}`, sealed.replace(/-/g, '+')]) {
    if (variant === sealed) continue;
    t.equal(tokens.open(variant), undefined, JSON.stringify(variant.slice(0, 12)));
  }
  t.equal(tokens.open(''), undefined);
  t.equal(tokens.open('x'.repeat(40)), undefined);
});
