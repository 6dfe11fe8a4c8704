/** Child processes of the bench: pinned to a core, awaited until ready, measured through /proc, stopped. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The server under test runs on SERVER_CORE; the load generator and everything else on LOAD_CORE. */
export const serverCore = '0';
export const loadCore = '1';

const tsResolve = fileURLToPath(new URL('../ts-resolve.ts', import.meta.url));
let pinning: boolean | undefined;

/** taskset is there and the machine has two cores to pin to. */
export function canPin(): boolean {
  if (pinning === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      pinning = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) >= 2;
    } catch {
      pinning = false;
    }
  }
  return pinning;
}

/** Moves every thread of this process (the load generator) to the load core. */
export function pinSelf(): void {
  if (!canPin()) return;
  // taskset -a walks the threads; one that exits meanwhile fails the call, so try again.
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync('taskset', ['-a', '-cp', loadCore, String(process.pid)], { stdio: 'ignore' });
      return;
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}

export interface Spawned {
  child: ChildProcess;
  pid: number;
  /** The URL a bench server printed on its `ready` line. */
  url: string;
  /** stderr collected so far (for error messages). */
  stderr(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  core: string;
  env?: Record<string, string>;
  /** Node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Wait for a line on stdout matching this (its first group is the URL); otherwise stdout is discarded. */
  readyLine?: RegExp;
  readyTimeoutMs?: number;
}

/** Every child still running: killed when the bench exits, however it exits. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping\n`);
    process.exit(130);
  });
}

/** Starts `command` pinned to `options.core`. */
export async function spawnPinned(command: string, args: string[], options: SpawnOptions): Promise<Spawned> {
  const [file, fileArgs] = canPin() ? ['taskset', ['-c', options.core, command, ...args]] : [command, args];
  const child = spawn(file, fileArgs, {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', options.readyLine === undefined ? 'ignore' : 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = once(child, 'exit').then(() => {
    running.delete(child);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  const { readyLine } = options;
  let url = '';
  if (readyLine !== undefined) {
    url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => {
        reject(new Error(`${command} ${args.join(' ')} not ready: ${stderr}`));
      }, options.readyTimeoutMs ?? 20_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered = (buffered + chunk.toString()).slice(-8000);
        const match = readyLine.exec(buffered);
        if (match !== null) {
          clearTimeout(timer);
          resolve(match[1] ?? '');
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${command} ${args.join(' ')} exited with ${String(code)}: ${stderr}`));
      });
    }).catch(async (error: unknown) => {
      await stop();
      throw error;
    });
    child.stdout?.resume();
  }
  return { child, pid, url, stderr: () => stderr, stop };
}

/** Starts `node <script>` pinned to `options.core` (the bench's TypeScript loads through ts-resolve). */
export function spawnNode(script: string, args: string[], options: SpawnOptions): Promise<Spawned> {
  const nodeArgs = [...(options.nodeArgs ?? []), ...(script.endsWith('.ts') ? ['--import', tsResolve] : []), script, ...args];
  return spawnPinned(process.execPath, nodeArgs, options);
}

/**
 * V8 flags for the node processes on the load core (the load generator: package.json passes the
 * same flag to the bench scripts; the fake Kakao). With V8's default young generation (64 MB here)
 * the load generator's scavenges paused it 19 ms (median) while it held the clock of every
 * request in flight, and that pause was counted as latency of the server under test; with 4 MB
 * they pause 1.4 ms. The servers under test keep V8's defaults.
 */
export const loadSideNodeArgs = ['--max-semi-space-size=4'];

/**
 * V8 flags that hold a server's heap small (a 1 MB semi-space, a 48 MB old space), as an operator
 * short of memory would set in NODE_OPTIONS: the memory section runs the login ceiling with them
 * too. The bridge runs with V8's defaults.
 */
export const leanHeapNodeArgs = ['--max-semi-space-size=1', '--max-old-space-size=48'];

/**
 * A bench server (bench/servers/*.ts, or a bundle of one): ready when it prints `ready <url>`.
 * `nodeArgs` default to loadSideNodeArgs on the load core, none on the server core.
 */
export function spawnBenchServer(script: string, core: string, env: Record<string, string>, nodeArgs = core === loadCore ? loadSideNodeArgs : []): Promise<Spawned> {
  return spawnNode(script, [], { core, env, readyLine: /^ready (\S+)$/m, nodeArgs });
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** Busy and total jiffies of each core, from /proc/stat (busy = not idle, not waiting for I/O). */
export function coreTicks(): { busy: number; total: number }[] {
  const cores: { busy: number; total: number }[] = [];
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^cpu(\d+) (.+)$/.exec(line);
    if (match?.[2] === undefined) continue;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = match[2].trim().split(/\s+/).map(Number);
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    cores[Number(match[1])] = { busy: total - idle - iowait, total };
  }
  return cores;
}

/** How busy each core was between two coreTicks() readings (0–1), whoever kept it busy. */
export function coreBusy(before: { busy: number; total: number }[], after: { busy: number; total: number }[]): number[] {
  return after.map((core, index) => {
    const start = before[index];
    if (start === undefined || core.total === start.total) return 0;
    return (core.busy - start.busy) / (core.total - start.total);
  });
}

/** Resident set size in MB. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? 0 : Number(kb) / 1024;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
