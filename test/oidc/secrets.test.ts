import t from 'tap';
import { fillRandom, randomToken } from '../../src/oidc/secrets.js';

t.test('hands out 256-bit URL-safe tokens, never the same bytes twice, across many pool refills', async (t) => {
  const tokens = Array.from({ length: 10_000 }, () => randomToken());
  t.equal(new Set(tokens).size, tokens.length, 'all distinct');
  t.ok(
    tokens.every((token) => /^[A-Za-z0-9_-]{43}$/.test(token) && Buffer.from(token, 'base64url').length === 32),
    '43 base64url characters, 32 bytes each',
  );
  // No 8-byte run of one token reappears in another: the pool is never handed out twice.
  const runs = new Set<string>();
  let repeated = 0;
  for (const token of tokens) {
    const bytes = Buffer.from(token, 'base64url');
    for (let at = 0; at + 8 <= bytes.length; at += 8) {
      const run = bytes.toString('hex', at, at + 8);
      if (runs.has(run)) repeated++;
      runs.add(run);
    }
  }
  t.equal(repeated, 0);
  // Every byte value turns up, in roughly equal measure (320,000 bytes: 1,250 expected each).
  const counts = new Array<number>(256).fill(0);
  for (const token of tokens) for (const byte of Buffer.from(token, 'base64url')) counts[byte] = (counts[byte] ?? 0) + 1;
  t.ok(Math.min(...counts) > 1000 && Math.max(...counts) < 1500, `byte counts between ${String(Math.min(...counts))} and ${String(Math.max(...counts))}`);
});

t.test('fills IVs from the same pool, never handing out bytes a token or another IV had', async (t) => {
  const seen = new Set<string>();
  let repeated = 0;
  const remember = (bytes: Buffer) => {
    for (let at = 0; at + 6 <= bytes.length; at += 6) {
      const run = bytes.toString('hex', at, at + 6);
      if (seen.has(run)) repeated++;
      seen.add(run);
    }
  };
  // 12-byte IVs between tokens: refills land at every offset of the 4 KiB pool.
  for (let index = 0; index < 5_000; index++) {
    const iv = Buffer.alloc(12);
    fillRandom(iv);
    remember(iv);
    remember(Buffer.from(randomToken(), 'base64url'));
  }
  t.equal(repeated, 0);
  t.throws(() => {
    fillRandom(Buffer.alloc(33));
  }, RangeError);
});
