import t from 'tap';
import { SealedAccessTokens } from '../../src/oidc/access-tokens.js';

const secret = 'a-bridge-secret-of-at-least-32-characters';
const tokens = new SealedAccessTokens(secret);
const day = 86_400;
const now = 20_000 * day + 3600;
const record = JSON.stringify({ clientId: 'logto', subject: '9223372036854775807', scopes: ['openid'], claims: { name: '김카카오' }, expiresAt: now + 3600, grant: 'g' });

t.test('opens what it sealed, byte for byte (non-ASCII included)', async (t) => {
  t.equal(tokens.open(tokens.seal(record, now), now), record);
});

t.test('seals the same record differently each time, as an unreadable URL-safe b64token', async (t) => {
  const [first, second] = [tokens.seal(record, now), tokens.seal(record, now)];
  t.not(first, second);
  t.match(first, /^[A-Za-z0-9_-]+$/, 'RFC 6750 b64token, no padding');
  t.notMatch(Buffer.from(first, 'base64url').toString('latin1'), /logto|9223372036854775807/, 'the contents are not readable');
});

t.test('refuses a token sealed under another secret', async (t) => {
  t.equal(new SealedAccessTokens('another-secret-of-at-least-32-characters').open(tokens.seal(record, now), now), undefined);
});

t.test('another replica with the same secret opens it, whatever it has derived before', async (t) => {
  const replica = new SealedAccessTokens(secret);
  t.equal(replica.open(tokens.seal(record, now - day), now), record, 'sealed yesterday');
  t.equal(replica.open(tokens.seal(record, now), now), record, 'sealed today');
});

t.test('seals under a key of the day, and opens tokens of the last two days and of tomorrow only', async (t) => {
  const today = tokens.seal(record, now);
  const yesterday = tokens.seal(record, now - day);
  t.not(Buffer.from(today, 'base64url').readUInt32BE(0), Buffer.from(yesterday, 'base64url').readUInt32BE(0), 'the day is named in the token');
  t.equal(tokens.open(tokens.seal(record, now - 2 * day), now), record, 'two days ago');
  t.equal(tokens.open(tokens.seal(record, now + day), now), record, 'a replica whose clock is ahead');
  t.equal(tokens.open(tokens.seal(record, now - 3 * day), now), undefined, 'three days ago: no token lives that long');
  t.equal(tokens.open(tokens.seal(record, now + 2 * day), now), undefined, 'two days ahead');
});

t.test('refuses a token whose day was changed to another key that is accepted', async (t) => {
  const sealed = Buffer.from(tokens.seal(record, now), 'base64url');
  sealed.writeUInt32BE(sealed.readUInt32BE(0) - 1);
  t.equal(tokens.open(sealed.toString('base64url'), now), undefined);
});

t.test('refuses every single-byte alteration, truncation and extension', async (t) => {
  const sealed = Buffer.from(tokens.seal(record, now), 'base64url');
  let opened = 0;
  for (let index = 0; index < sealed.length; index++) {
    const altered = Buffer.from(sealed);
    altered[index] = (altered[index] ?? 0) ^ 0x01;
    if (tokens.open(altered.toString('base64url'), now) !== undefined) opened++;
  }
  t.equal(opened, 0, `none of ${String(sealed.length)} altered tokens opened`);
  t.equal(tokens.open(sealed.subarray(0, -1).toString('base64url'), now), undefined, 'truncated');
  t.equal(tokens.open(Buffer.concat([sealed, Buffer.from([0])]).toString('base64url'), now), undefined, 'extended');
});

t.test('accepts only the canonical encoding: padding, whitespace or stray characters make it unknown', async (t) => {
  const sealed = tokens.seal(record, now);
  for (const variant of [`${sealed}=`, `${sealed} `, ` ${sealed}`, `${sealed.slice(0, 10)}.${sealed.slice(10)}`, sealed.replace(/-/g, '+')]) {
    if (variant === sealed) continue;
    t.equal(tokens.open(variant, now), undefined, JSON.stringify(variant.slice(0, 12)));
  }
  t.equal(tokens.open('', now), undefined);
  t.equal(tokens.open('x'.repeat(40), now), undefined);
  t.equal(tokens.open('A'.repeat(43), now), undefined, 'a random token of the old format');
});
