/** What every server in the bench agrees on: the relying party, the Kakao app and the user. */

export const relyingParty = {
  clientId: 'logto',
  clientSecret: 'logto-client-secret-for-the-benchmark',
  redirectUri: 'http://127.0.0.1:9/rp/callback',
};

export const kakaoApp = { clientId: 'bench-kakao-rest-api-key', clientSecret: 'bench-kakao-client-secret' };

export const scope = 'openid profile email';

/** The fake Kakao's default user as the bridge maps it (src/upstream/kakao-profile.ts): the same claims for every server. */
export const userClaims = {
  sub: '4218530917',
  name: '김카카오',
  nickname: '김카카오',
  picture: 'https://k.kakaocdn.net/dn/bXyZ12/btsFake01/demo/img_640x640.jpg',
  email: 'kakao.kim@kakao.com',
  email_verified: true,
};

/** Prints the line the orchestrator waits for (see lib/procs.ts). */
export function announceReady(url: string): void {
  process.stdout.write(`ready ${url}\n`);
}

/** Exits when the orchestrator goes away, so that no server outlives a crashed run. */
export function exitWithParent(): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 1000);
  timer.unref();
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
