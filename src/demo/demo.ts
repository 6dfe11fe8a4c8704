/**
 * `npm run demo`: the real bridge between a simulated Kakao and a tiny relying party, all on
 * 127.0.0.1. Started only by src/demo/main.ts (and the demo test), never by the normal entry point.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildDefaultApp } from '../bootstrap.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logging.js';
import { defaultFakeUser, startFakeKakao, type FakeKakao, type FakeKakaoUser } from './fake-kakao.js';
import { startDemoRelyingParty, type DemoRelyingParty } from './relying-party.js';

export interface DemoOptions {
  /** The bridge's port; 0 = a free one. */
  port: number;
  /** The demo relying party's port; 0 = a free one. */
  rpPort: number;
  /** Where the bridge keeps its signing keys and cookie secret. */
  dataDir: string;
  /** Default 'info'. */
  logLevel?: string;
  /** Default: a logger at logLevel writing to stdout. */
  logger?: FastifyBaseLogger;
  /** The user who "logs in" at the simulated Kakao; default defaultFakeUser. */
  user?: FakeKakaoUser;
}

export interface Demo {
  /** The bridge's issuer, http://127.0.0.1:PORT. */
  readonly issuer: string;
  /** The page to open, http://127.0.0.1:RP_PORT. */
  readonly rpUrl: string;
  readonly kakao: FakeKakao;
  readonly bridge: FastifyInstance;
  readonly rp: DemoRelyingParty;
  readonly clientId: string;
  /** Closes the relying party, the bridge and the fake Kakao. */
  close(): Promise<void>;
}

const host = '127.0.0.1';
export const demoClientId = 'demo-rp';
const kakaoClientId = 'demo-kakao-rest-api-key';

/** The text printed when the demo starts; `rpUrl` is the page to open. */
export function demoBanner(demo: Pick<Demo, 'issuer' | 'rpUrl' | 'kakao'>): string {
  const line = '#'.repeat(78);
  return [
    '',
    line,
    '##',
    '##   DEMO MODE: kakao-oidc-bridge against a SIMULATED Kakao login.',
    '##   NEVER USE THIS FOR PRODUCTION. No real Kakao account is involved.',
    '##',
    `##   Open:  ${demo.rpUrl}`,
    '##',
    `##   bridge (issuer)   ${demo.issuer}`,
    `##   simulated Kakao   ${demo.kakao.url}`,
    '##   Press Ctrl+C to stop.',
    '##',
    line,
    '',
    '',
  ].join('\n');
}

/** Starts the fake Kakao (interactive), the bridge and the demo relying party, wired together. */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const started: { close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const piece of started.reverse()) await piece.close();
  };
  try {
    const port = options.port === 0 ? await freePort() : options.port;
    const issuer = `http://${host}:${port}`;
    const clientSecret = randomBytes(32).toString('base64url');
    const kakaoClientSecret = randomBytes(32).toString('base64url');

    const rp = await startDemoRelyingParty({ issuer, clientId: demoClientId, clientSecret, port: options.rpPort, host });
    started.push(rp);

    const kakao = await startFakeKakao({
      interactive: true,
      host,
      user: options.user ?? defaultFakeUser,
      apps: [{ clientId: kakaoClientId, clientSecret: kakaoClientSecret, redirectUris: [`${issuer}/callback/kakao`], name: 'Demo RP (via kakao-oidc-bridge)' }],
    });
    started.push(kakao);

    const logLevel = options.logLevel ?? 'info';
    const config = loadConfig({
      PUBLIC_URL: issuer,
      HOST: host,
      PORT: String(port),
      DATA_DIR: options.dataDir,
      LOG_LEVEL: logLevel,
      KAKAO_CLIENT_ID: kakaoClientId,
      KAKAO_CLIENT_SECRET: kakaoClientSecret,
      KAKAO_SCOPES: 'profile_nickname profile_image account_email',
      KAKAO_AUTH_URL: kakao.url,
      KAKAO_API_URL: kakao.url,
      OIDC_CLIENT_ID: demoClientId,
      OIDC_CLIENT_SECRET: clientSecret,
      OIDC_REDIRECT_URIS: rp.redirectUri,
    });
    const bridge = await buildDefaultApp(config, options.logger ?? createLogger(logLevel));
    started.push(bridge);
    await bridge.listen({ port: config.port, host: config.host });

    let closing: Promise<void> | undefined;
    return {
      issuer,
      rpUrl: rp.url,
      kakao,
      bridge,
      rp,
      clientId: demoClientId,
      close: () => (closing ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** A port that was free a moment ago: the issuer must be known before the bridge is built. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}
