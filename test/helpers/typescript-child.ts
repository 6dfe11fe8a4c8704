/**
 * A TypeScript module of this repository as its own process, with the TypeScript loader tap gives
 * the test that starts it (no build needed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** PATH and the loader's settings (TS_NODE_*): without them it type-checks the whole program first. */
export function loaderEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', ...Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[0].startsWith('TS_NODE_') && entry[1] !== undefined)) };
}

export interface TypeScriptChild {
  child: ChildProcess;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Everything it has written so far. */
  output: () => { stdout: string; stderr: string };
}

/** Runs `module` with `args`, in loaderEnv() and `env`, collecting its stdout and stderr. */
export function spawnTypeScript(module: string, args: string[], env: Record<string, string>): TypeScriptChild {
  const child = spawn(process.execPath, [...process.execArgv, module, ...args], { env: { ...loaderEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}
