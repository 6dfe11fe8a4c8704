import t, { type Test } from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeProtectedHeader } from 'jose';
import { commands, runCli } from '../src/cli.js';
import { KeySet } from '../src/keys.js';
import { startFakeKakao } from '../src/demo/fake-kakao.js';
import { doctor, type CheckResult } from '../src/ops/doctor.js';
import { MemoryStore } from '../src/store/memory.js';
import type { Store } from '../src/store/store.js';
import { confidential, freePort, kakaoApp, startBridge } from './helpers/bridge.js';
import { spawnTypeScript } from './helpers/typescript-child.js';

const bridge = await startBridge(t);
const kakao = bridge.kakao;
/** A second Kakao app whose client secret is not activated. */
kakao.addApp({ clientId: 'no-secret-app', redirectUris: [`${bridge.issuer}/callback/kakao`] });

/** The environment the running bridge was started with. */
function bridgeEnv(dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PUBLIC_URL: bridge.issuer,
    DATA_DIR: dataDir,
    KAKAO_CLIENT_ID: kakaoApp.clientId,
    KAKAO_CLIENT_SECRET: kakaoApp.clientSecret,
    KAKAO_AUTH_URL: kakao.url,
    KAKAO_API_URL: kakao.url,
    KAKAO_TIMEOUT_MS: '1000',
    OIDC_CLIENT_ID: confidential.clientId,
    OIDC_CLIENT_SECRET: confidential.clientSecret,
    OIDC_REDIRECT_URIS: confidential.redirectUri,
    ...overrides,
  };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], env: Record<string, string>, doctorOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    doctor: doctorOptions,
  });
  return { code, stdout, stderr };
}

/** The one output line about `item`. */
function line(run: Run, item: string): string {
  const found = run.stdout.split('\n').filter((text) => text.slice(2).startsWith(`${item}:`));
  if (found.length !== 1) throw new Error(`expected one line about ${item} in:\n${run.stdout}`);
  return found[0] ?? '';
}

const secrets = [kakaoApp.clientSecret, confidential.clientSecret, 'wrong-kakao-secret', 'hunter2-redis-password'];
function noSecrets(t: Test, run: Run): void {
  for (const secret of secrets) t.notOk(run.stdout.includes(secret) || run.stderr.includes(secret), 'no secret in the output');
}

t.test('passes every check against a running bridge with good Kakao credentials', async (t) => {
  const run = await cli(['doctor'], bridgeEnv(join(t.testdir(), 'data')));
  t.equal(run.code, 0, run.stdout);
  t.match(line(run, 'configuration'), /^✔ configuration: issuer http:\/\/127\.0\.0\.1:\d+, 1 Kakao connector, 1 client$/);
  t.match(line(run, 'Kakao connector "kakao"'), /^✔ .*REST API key and client secret accepted: Kakao answered KOE320/);
  t.match(line(run, 'store'), /^– store: in memory \(REDIS_URL is not set\)/);
  t.match(line(run, 'PUBLIC_URL'), /^✔ PUBLIC_URL: .*\/\.well-known\/openid-configuration answers with this issuer$/);
  t.match(line(run, 'DATA_DIR'), /^✔ DATA_DIR: .* is writable$/);
  t.match(run.stdout, /All checks passed\.\n$/);
  noSecrets(t, run);
  const tokenCall = kakao.requests.filter((request) => request.path === '/oauth/token').at(-1);
  t.equal(tokenCall?.form?.grant_type, 'authorization_code', 'a token request');
  t.equal(tokenCall?.form?.redirect_uri, `${bridge.issuer}/callback/kakao`);
});

t.test('fails a wrong client secret (KOE010), naming KAKAO_CLIENT_SECRET', async (t) => {
  const run = await cli(['doctor'], bridgeEnv(t.testdir(), { KAKAO_CLIENT_SECRET: 'wrong-kakao-secret' }));
  t.equal(run.code, 1);
  t.match(line(run, 'Kakao connector "kakao"'), /^✘ .*rejected the client secret \(KOE010\): check KAKAO_CLIENT_SECRET/);
  t.match(run.stdout, /1 of 5 checks did not pass\.\n$/);
  noSecrets(t, run);
});

t.test('fails a missing client secret when the app expects one, and a secret the app does not expect', async (t) => {
  const missing = await cli(['doctor'], bridgeEnv(t.testdir(), { KAKAO_CLIENT_SECRET: '' }));
  t.equal(missing.code, 1);
  t.match(line(missing, 'Kakao connector "kakao"'), /^✘ .*expects a client secret \(KOE010\).*set KAKAO_CLIENT_SECRET/);

  const unexpected = await cli(['doctor'], bridgeEnv(t.testdir(), { KAKAO_CLIENT_ID: 'no-secret-app', KAKAO_CLIENT_SECRET: 'wrong-kakao-secret' }));
  t.equal(unexpected.code, 1);
  t.match(line(unexpected, 'Kakao connector "kakao"'), /^✘ .*KOE010.*unset it if the console's Activation state is OFF/);

  const right = await cli(['doctor'], bridgeEnv(t.testdir(), { KAKAO_CLIENT_ID: 'no-secret-app', KAKAO_CLIENT_SECRET: '' }));
  t.equal(right.code, 0, right.stdout);
  t.match(line(right, 'Kakao connector "kakao"'), /^✔ .*REST API key accepted \(no client secret\)/);
});

t.test('fails an unknown REST API key (KOE101), naming KAKAO_CLIENT_ID', async (t) => {
  const run = await cli(['doctor'], bridgeEnv(t.testdir(), { KAKAO_CLIENT_ID: 'not-a-rest-key' }));
  t.equal(run.code, 1);
  t.match(line(run, 'Kakao connector "kakao"'), /^✘ .*does not know this REST API key \(KOE101\): check KAKAO_CLIENT_ID/);
});

t.test('checks each connector of a CONFIG_FILE, naming the connector', async (t) => {
  const dir = t.testdir();
  const other = await startFakeKakao({ apps: [{ clientId: 'biz-key', clientSecret: 'biz-secret', redirectUris: [] }] });
  t.teardown(() => other.close());
  const configFile = join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      connectors: [
        { id: 'biz', client_id: 'biz-key', client_secret: 'wrong-kakao-secret', auth_url: other.url, api_url: other.url },
        { id: 'biz-ok', client_id: 'biz-key', client_secret: 'biz-secret', auth_url: other.url, api_url: other.url },
      ],
    }),
  );
  const run = await cli(['doctor'], bridgeEnv(join(dir, 'data'), { CONFIG_FILE: configFile }));
  t.equal(run.code, 1);
  t.match(line(run, 'configuration'), /3 Kakao connectors, 1 client/);
  t.match(line(run, 'Kakao connector "kakao"'), /^✔/);
  t.match(line(run, 'Kakao connector "biz"'), /^✘ .*check client_secret of connector "biz"/);
  t.match(line(run, 'Kakao connector "biz-ok"'), /^✔/);
  noSecrets(t, run);
});

t.test('cannot tell when Kakao answers something else, or not at all', async (t) => {
  kakao.faults.add('token-500');
  t.teardown(() => kakao.faults.clear());
  const error = await cli(['doctor'], bridgeEnv(t.testdir()));
  t.equal(error.code, 1, 'not a pass');
  t.match(line(error, 'Kakao connector "kakao"'), /^\? .*cannot tell: Kakao answered HTTP 500/);
  kakao.faults.clear();

  kakao.faults.add('token-hang');
  const hang = await cli(['doctor'], bridgeEnv(t.testdir(), { KAKAO_TIMEOUT_MS: '200' }));
  t.equal(hang.code, 1);
  t.match(line(hang, 'Kakao connector "kakao"'), /^\? .*cannot tell: Kakao did not answer in time/);
  kakao.faults.clear();

  const closedPort = await freePort();
  const unreachable = await cli(['doctor'], bridgeEnv(t.testdir(), { KAKAO_AUTH_URL: `http://127.0.0.1:${closedPort}` }));
  t.equal(unreachable.code, 1);
  t.match(line(unreachable, 'Kakao connector "kakao"'), /^\? .*cannot tell: Kakao could not be reached/);
});

t.test('fails when PUBLIC_URL does not reach this bridge', async (t) => {
  const nobody = `http://127.0.0.1:${await freePort()}`;
  const down = await cli(['doctor'], bridgeEnv(t.testdir(), { PUBLIC_URL: nobody }));
  t.equal(down.code, 1);
  t.match(line(down, 'PUBLIC_URL'), /^✘ PUBLIC_URL: cannot reach .*ECONNREFUSED/);

  const wrongPath = await cli(['doctor'], bridgeEnv(t.testdir(), { PUBLIC_URL: `${bridge.issuer}/elsewhere` }));
  t.match(line(wrongPath, 'PUBLIC_URL'), /^✘ .*answered HTTP 404/);

  const withPath = await startBridge(t, { issuerPath: '/kakao' });
  const another = await cli(['doctor'], bridgeEnv(t.testdir(), { PUBLIC_URL: new URL(withPath.issuer).origin }));
  t.match(line(another, 'PUBLIC_URL'), /^✘ .*names issuer "http:\/\/127\.0\.0\.1:\d+\/kakao", not http:\/\/127\.0\.0\.1:\d+: another instance answers there/);
});

t.test('fails a DATA_DIR that cannot be written', async (t) => {
  const dir = t.testdir({ 'a-file': 'not a directory' });
  const run = await cli(['doctor'], bridgeEnv(join(dir, 'a-file', 'data')));
  t.equal(run.code, 1);
  t.match(line(run, 'DATA_DIR'), /^✘ DATA_DIR: .*a-file\/data is not writable \((ENOTDIR|EEXIST)\)/);
});

t.test('checks Redis with the store, never showing its password', async (t) => {
  const env = bridgeEnv(t.testdir(), { REDIS_URL: 'redis://:hunter2-redis-password@127.0.0.1:6390/0' });
  const stores: Store[] = [];
  let closed = 0;
  const fakeStore = (ping: () => Promise<void>) => () => {
    const store = new MemoryStore();
    store.ping = ping;
    const close = store.close.bind(store);
    store.close = () => {
      closed++;
      return close();
    };
    stores.push(store);
    return Promise.resolve(store);
  };

  const up = await cli(['doctor'], env, { createStore: fakeStore(() => Promise.resolve()) });
  t.equal(up.code, 0, up.stdout);
  t.match(line(up, 'store'), /^✔ store: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:6390\/0 answers PING$/);

  const down = await cli(['doctor'], env, { createStore: fakeStore(() => Promise.reject(new Error('connect ECONNREFUSED'))) });
  t.equal(down.code, 1);
  t.match(line(down, 'store'), /^✘ store: Redis at .* does not answer: connect ECONNREFUSED$/);

  const frozen = await cli(['doctor'], env, { timeoutMs: 100, createStore: fakeStore(() => new Promise<void>(() => undefined)) });
  t.equal(frozen.code, 1);
  t.match(line(frozen, 'store'), /^✘ .*no answer within 100 ms/);
  t.equal(closed, stores.length, 'every store is closed');
  for (const run of [up, down, frozen]) noSecrets(t, run);
});

t.test('fails the configuration, naming the variable, and checks nothing else', async (t) => {
  const run = await cli(['doctor'], bridgeEnv(t.testdir(), { PUBLIC_URL: '' }));
  t.equal(run.code, 1);
  t.match(run.stdout, /^kakao-oidc-bridge doctor\n✘ configuration: PUBLIC_URL: is required/);
  t.match(run.stdout, /1 of 1 checks did not pass/);
  const results: CheckResult[] = await doctor(bridgeEnv(t.testdir(), { KAKAO_TIMEOUT_MS: 'soon' }), () => undefined);
  t.same(results, [{ item: 'configuration', verdict: 'fail', reason: 'KAKAO_TIMEOUT_MS: must be a whole number, got "soon"' }]);
});

t.test('prints usage: for help, without a command, and for an unknown command', async (t) => {
  const help = await cli(['--help'], {});
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: kakao-oidc-bridge <command>/);
  for (const name of Object.keys(commands)) t.match(help.stdout, new RegExp(`^  ${name} `, 'm'), name);
  const none = await cli([], {});
  t.equal(none.code, 2);
  t.match(none.stderr, /^usage:/);
  const unknown = await cli(['rotate-everything'], {});
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown command "rotate-everything"/);
  const inherited = await cli(['toString'], {});
  t.equal(inherited.code, 2, 'only the table’s own commands');
});

const cliModule = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** Runs src/cli.ts as a program, with the TypeScript loader tap gives this test. */
async function runProgram(args: string[], env: Record<string, string>): Promise<Run & { lingerMs: number }> {
  const { child, exited, output } = spawnTypeScript(cliModule, args, env);
  let verdictAt = Number.NaN;
  child.stdout?.on('data', () => {
    if (Number.isNaN(verdictAt) && /checks (passed|did not pass)/.test(output().stdout)) verdictAt = Date.now();
  });
  const [code] = await exited;
  return { code: code ?? -1, ...output(), lingerMs: Date.now() - verdictAt };
}

t.test('runs as a program, exiting with the verdict as soon as it is out', async (t) => {
  const run = await runProgram(['doctor'], bridgeEnv(t.testdir()));
  t.equal(run.code, 0, run.stdout + run.stderr);
  t.match(run.stdout, /✔ Kakao connector "kakao"/);
  t.match(run.stdout, /All checks passed/);
  t.ok(run.lingerMs < 2000, `no open connection keeps it alive (${run.lingerMs} ms after the verdict)`);
});

t.test('rotate-keys adds a key per algorithm that the running instance publishes on its next refresh', async (t) => {
  const dataDir = t.testdir();
  const running = await KeySet.load(dataDir, ['RS256']);
  const before = (JSON.parse(running.jwksJson) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
  const run = await cli(['rotate-keys'], bridgeEnv(dataDir));
  t.equal(run.code, 0);
  const match = /^added RS256 key (\S+), signing from (\S+)\n$/.exec(run.stdout);
  t.ok(match, run.stdout);
  t.ok(Date.parse(match?.[2] ?? '') > Date.now() + 60_000, 'signs only after the publication delay');
  await running.refresh();
  const after = (JSON.parse(running.jwksJson) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
  t.same(after, [...before, match?.[1]]);
});

t.test('rotate-keys --now makes the new key sign at once', async (t) => {
  const dataDir = t.testdir();
  const run = await cli(['rotate-keys', '--now'], bridgeEnv(dataDir));
  t.equal(run.code, 0);
  const kid = /^added RS256 key (\S+),/.exec(run.stdout)?.[1];
  const keys = await KeySet.load(dataDir, ['RS256']);
  t.equal(decodeProtectedHeader(await keys.sign({ sub: 'x' }, 'RS256')).kid, kid);
});

t.test('rotate-keys refuses unknown options and reports configuration errors', async (t) => {
  t.equal((await cli(['rotate-keys', '--later'], bridgeEnv(t.testdir()))).code, 2);
  const bad = await cli(['rotate-keys'], bridgeEnv(t.testdir(), { PUBLIC_URL: 'not a url' }));
  t.equal(bad.code, 1);
  t.match(bad.stderr, /PUBLIC_URL/);
});
