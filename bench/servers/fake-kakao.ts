/**
 * The fake Kakao (src/demo/fake-kakao.ts, as built in BENCH_DIST) in its own process, answering
 * at once. REDIRECT_URI is the bridge's callback URL.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { announceReady, exitWithParent, kakaoApp } from '../lib/fixtures.js';

exitWithParent();
const dist = process.env.BENCH_DIST ?? 'dist';
const { startFakeKakao } = (await import(pathToFileURL(join(dist, 'demo', 'fake-kakao.js')).href)) as typeof import('../../src/demo/fake-kakao.js');
const kakao = await startFakeKakao({
  port: Number(process.env.PORT ?? '0'),
  apps: [{ clientId: kakaoApp.clientId, clientSecret: kakaoApp.clientSecret, redirectUris: [process.env.REDIRECT_URI ?? ''] }],
});
announceReady(kakao.url);
