import t from 'tap';
import { storedJson } from '../../src/oidc/records.js';

t.test('writes ASCII only, and JSON.parse gives back exactly the value (Korean, emoji, lone surrogates, controls)', async (t) => {
  const values = [
    { name: '김카카오', nickname: '카카오 🐻', picture: 'https://k.kakaocdn.net/img.jpg', email_verified: true },
    { text: 'é ü ñ \u0080 \u00ff \u0100 \uffff', lone: '\ud800x\udfff', controls: '\u0000\n\t"\\' },
    ['plain', 1, null, { nested: ['한글'] }],
  ];
  for (const value of values) {
    const json = storedJson(value);
    t.match(json, /^[\x20-\x7e]*$/, 'printable ASCII only');
    t.same(JSON.parse(json), value);
  }
  t.equal(storedJson({ a: 'ascii' }), JSON.stringify({ a: 'ascii' }), 'ASCII input is untouched');
});
