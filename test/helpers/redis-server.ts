import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './bridge.js';

/** The part of tap's Test the helper uses (kept here so store tests need no bridge harness). */
export interface TapLike {
  testdir(fixture?: Record<string, string>): string;
  teardown(fn: () => unknown): void;
}


export interface RedisServer {
  /** redis://127.0.0.1:port */
  url: string;
  port: number;
  /** Stops the server (SIGTERM) and waits until it is gone: an outage. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted) and waits until it answers PING. */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open but nothing answers. */
  pause(): void;
  resume(): void;
}

/** Throws, never skips: the Redis and replica tests are part of the suite. */
function requireRedisServer(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error(
      'redis-server was not found on PATH. The Redis store and replica tests need a real Redis: ' +
        'install it with `apt-get install redis-server` (.ci/run does this).',
    );
  }
}

/** Resolves once `redis-server` on `port` answers PING, or rejects after `timeoutMs`. */
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pingOnce(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/**
 * A real `redis-server` on a free loopback port, with no persistence, owned by the test: it is
 * killed on teardown. stop()/start() simulate an outage and the recovery.
 */
export async function startRedis(t: TapLike): Promise<RedisServer> {
  requireRedisServer();
  const port = await freePort();
  const dir = t.testdir();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';

  const start = async (): Promise<void> => {
    if (child !== undefined) throw new Error('redis-server is already running');
    output = '';
    const process_ = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = process_;
    // Killed with the test process even when it dies without running its teardown.
    const orphanGuard = () => process_.kill('SIGKILL');
    process.once('exit', orphanGuard);
    process_.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    process_.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    exited = new Promise((resolve) => {
      process_.once('exit', () => {
        process.removeListener('exit', orphanGuard);
        if (child === process_) child = undefined;
        resolve();
      });
    });
    try {
      await waitForPong(port, 5000);
    } catch (error) {
      process_.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${output}`, { cause: error });
    }
  };

  const stop = async (): Promise<void> => {
    const running = child;
    if (running === undefined) return;
    running.kill('SIGCONT');
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  t.teardown(stop);
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
