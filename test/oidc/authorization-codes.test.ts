import t from 'tap';
import { AuthorizationCodes } from '../../src/oidc/authorization-codes.js';
import { randomToken } from '../../src/oidc/secrets.js';

const codes = new AuthorizationCodes('a-bridge-secret-of-at-least-32-characters');

t.test('recognises its own codes, and the codes of a replica with the same secret', async (t) => {
  const code = codes.mint(randomToken());
  t.match(code, /^[A-Za-z0-9_-]{65}$/, 'URL-safe, 256 bits derived from the login and a 128-bit MAC');
  t.ok(codes.minted(code));
  t.ok(new AuthorizationCodes('a-bridge-secret-of-at-least-32-characters').minted(code));
});

t.test('gives a login the same code each time, and every other login another', async (t) => {
  const loginId = randomToken();
  const code = codes.mint(loginId);
  t.equal(codes.mint(loginId), code, 'a repeated callback computes the code it already handed out');
  t.equal(new AuthorizationCodes('a-bridge-secret-of-at-least-32-characters').mint(loginId), code, 'so does a replica');
  t.not(codes.mint(randomToken()), code);
  t.not(codes.mint(`${loginId}x`), code);
  t.not(new AuthorizationCodes('another-secret-of-at-least-32-characters').mint(loginId), code, 'without the secret, the login id does not give the code');
  t.notOk(code.includes(loginId), 'the login id does not appear in it');
});

t.test('does not recognise codes of another secret, random tokens or altered codes', async (t) => {
  const code = codes.mint(randomToken());
  t.notOk(new AuthorizationCodes('another-secret-of-at-least-32-characters').minted(code));
  t.notOk(codes.minted(randomToken()), 'a code of the previous format');
  t.notOk(codes.minted(`${randomToken()}${code.slice(43)}`), 'another random part');
  t.notOk(codes.minted(code.slice(0, -1)), 'truncated');
  t.notOk(codes.minted(`${code}A`), 'extended');
  t.notOk(codes.minted(`${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`), 'last character changed');
  t.notOk(codes.minted(`${code}=`), 'padded');
  t.notOk(codes.minted(''));
});
