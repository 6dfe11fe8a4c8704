import t from 'tap';
import { fileURLToPath } from 'node:url';
import { freePort } from './helpers/bridge.js';
import { spawnTypeScript } from './helpers/typescript-child.js';

const mainModule = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** Runs src/main.ts in a child process with the same TypeScript loader tap gives this test. */
function runMain(env: Record<string, string>) {
  return spawnTypeScript(mainModule, [], env);
}

t.test('exits 2 with a message naming the bad variable', async (t) => {
  const run = runMain({ KAKAO_CLIENT_ID: 'k', OIDC_CLIENT_ID: 'rp', OIDC_REDIRECT_URIS: 'https://rp.example/cb' });
  const [code] = await run.exited;
  t.equal(code, 2);
  t.match(run.output().stderr, /configuration error: PUBLIC_URL/);
});

t.test('serves discovery, then closes and exits 0 on SIGTERM', async (t) => {
  const port = await freePort();
  const run = runMain({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: t.testdir(),
    KAKAO_CLIENT_ID: 'k',
    OIDC_CLIENT_ID: 'rp',
    OIDC_CLIENT_SECRET: 'rp-secret',
    OIDC_REDIRECT_URIS: 'https://rp.example/cb',
  });
  t.teardown(() => run.child.kill('SIGKILL'));
  let response: Response | undefined;
  for (let attempt = 0; attempt < 100 && response === undefined; attempt++) {
    response = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`).catch(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return undefined;
    });
  }
  t.equal(response?.status, 200);
  // Log lines go out in batches, at least every 100 ms (src/logging.ts): the ready line may trail the first response.
  for (let attempt = 0; attempt < 50 && !run.output().stdout.includes('kakao-oidc-bridge ready'); attempt++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.match(run.output().stdout, /kakao-oidc-bridge ready/);
  run.child.kill('SIGTERM');
  const [code] = await run.exited;
  t.equal(code, 0);
  t.match(run.output().stdout, /shutting down/);
});
