import t from 'tap';
import { fileURLToPath } from 'node:url';
import { spawnTypeScript } from '../helpers/typescript-child.js';

const logLines = fileURLToPath(new URL('../helpers/log-lines.ts', import.meta.url));

/** Runs test/helpers/log-lines.ts; `lines()`: the JSON lines it has written to stdout so far. */
function run(mode: 'exit' | 'idle', count: number) {
  const child = spawnTypeScript(logLines, [mode, String(count)], {});
  const lines = () =>
    child
      .output()
      .stdout.split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { line: number; msg: string });
  return { ...child, lines };
}

t.test('every line logged before process.exit reaches stdout, in order', async (t) => {
  const child = run('exit', 500);
  const [code] = await child.exited;
  t.equal(code, 0);
  t.same(
    child.lines().map((line) => line.line),
    Array.from({ length: 500 }, (_, index) => index),
  );
});

t.test('a line logged by an idle process reaches stdout without waiting for more lines or the exit', async (t) => {
  const child = run('idle', 1);
  t.teardown(() => child.child.kill('SIGKILL'));
  const deadline = Date.now() + 10_000;
  while (child.lines().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(child.child.exitCode, null, 'the process is still running');
  t.same(
    child.lines().map((line) => line.msg),
    ['numbered line'],
  );
});
