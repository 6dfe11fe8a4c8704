#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keyPolicyFor, keyStorageFor, requiredAlgs } from './bootstrap.js';
import { ConfigError, loadConfig } from './config.js';
import { KeySet } from './keys.js';
import { doctor, type CheckResult, type DoctorOptions, type Verdict } from './ops/doctor.js';
import { createStore } from './store/create.js';

/** What a command may use: the environment and two output streams (tests pass their own). */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  doctor?: DoctorOptions;
}

export interface Command {
  /** One line for the usage text. */
  summary: string;
  /** Resolves to the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

const marks: Record<Verdict, string> = { pass: '✔', fail: '✘', unknown: '?', skip: '–' };

export function formatResult(result: CheckResult): string {
  return `${marks[result.verdict]} ${result.item}: ${result.reason}\n`;
}

async function runDoctor(_args: readonly string[], io: CliIo): Promise<number> {
  io.stdout('kakao-oidc-bridge doctor\n');
  const results = await doctor(io.env, (result) => io.stdout(formatResult(result)), io.doctor);
  const failed = results.filter((result) => result.verdict === 'fail' || result.verdict === 'unknown');
  io.stdout(failed.length === 0 ? 'All checks passed.\n' : `${failed.length} of ${results.length} checks did not pass.\n`);
  return failed.length === 0 ? 0 : 1;
}

/**
 * Adds new signing keys now, in the storage every replica reads (DATA_DIR, or the store with
 * REDIS_URL). They are published at once and sign after the publication delay, or at once with
 * --now (a compromised key); replicas pick them up on their next key refresh.
 */
async function runRotateKeys(args: readonly string[], io: CliIo): Promise<number> {
  const unknown = args.filter((arg) => arg !== '--now');
  if (unknown.length > 0) {
    io.stderr(`kakao-oidc-bridge rotate-keys: unknown option ${unknown.join(' ')} (only --now)\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(io.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr(`kakao-oidc-bridge rotate-keys: configuration error: ${error.message}\n`);
    return 1;
  }
  const store = await createStore(config);
  try {
    const keys = await KeySet.load(keyStorageFor(config, store), requiredAlgs(config), keyPolicyFor(config));
    const added = await keys.rotate({ immediate: args.includes('--now') });
    for (const key of added) {
      io.stdout(`added ${key.alg} key ${key.kid}, signing from ${new Date(key.activatesAt * 1000).toISOString()}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** The commands, by name. Add one here (e.g. rotate-keys) and it is in the usage text. */
export const commands: Record<string, Command> = {
  doctor: {
    summary: 'check the configuration, the Kakao credentials, Redis, PUBLIC_URL and DATA_DIR',
    run: runDoctor,
  },
  'rotate-keys': {
    summary: 'add new signing keys now (published at once, signing after the overlap; --now: signing at once)',
    run: runRotateKeys,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `usage: kakao-oidc-bridge <command>\n\ncommands:\n${lines.join('\n')}\n\nSettings are read from the environment, as the bridge reads them (node --env-file=.env dist/cli.js doctor).\n`;
}

/** Runs `argv` (without node and the script); resolves to the exit code: 0 ok, 1 failed, 2 usage. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.stderr : io.stdout)(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    io.stderr(`kakao-oidc-bridge: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(args, io);
}

/** True when this file is the program (node dist/cli.js, or npx through the bin symlink). */
function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const io: CliIo = {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  runCli(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`kakao-oidc-bridge: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
