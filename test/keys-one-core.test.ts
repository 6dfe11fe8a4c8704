import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loaderEnv } from './helpers/typescript-child.js';

const script = fileURLToPath(new URL('helpers/sign-on-one-core.ts', import.meta.url));

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// On one core KeySet signs in place instead of on the thread pool (src/keys.ts): the same tokens must come out.
t.test('signs RS256 and ES256 tokens that verify against the JWKS when the process may use one core only', { skip: hasTaskset() ? false : 'taskset (util-linux) is not installed' }, async (t) => {
  const run = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, script], {
    env: loaderEnv(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(run.status, 0, run.stderr);
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  t.same(JSON.parse(line), { cores: 1, verified: { RS256: 'one-core', ES256: 'one-core' } });
});
