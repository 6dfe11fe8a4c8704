import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TapLike } from './bridge.js';

/** The example users copy; the test runs this very file. */
export const deployConfPath = new URL('../../deploy/nginx.conf', import.meta.url);

export interface Nginx {
  /** http://127.0.0.1:port */
  url: string;
  /** The nginx.conf it runs: deploy/nginx.conf with addresses and paths replaced. */
  conf: string;
  accessLog: string;
}

export interface NginxOptions {
  port: number;
  /** host:port of each bridge replica. */
  upstreams: string[];
}

/** nginx on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH). */
function nginxBinary(): string {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    const probe = spawnSync(candidate, ['-v'], { encoding: 'utf8' });
    if (probe.error === undefined && probe.status === 0) return candidate;
  }
  throw new Error('nginx was not found. The replica tests run a real nginx in front of the bridge: install it with `apt-get install nginx` (.ci/run does this).');
}

function substitute(conf: string, pattern: RegExp, replacement: string, what: string): string {
  const matches = conf.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`)) ?? [];
  if (matches.length === 0) throw new Error(`deploy/nginx.conf changed: no ${what} to replace (${pattern.source})`);
  return conf.replace(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`), replacement);
}

/**
 * deploy/nginx.conf as a test can run it: listening on a loopback port, the upstream servers
 * replaced by the replicas, one worker, and every file nginx writes inside `dir` (so it runs
 * unprivileged and leaves nothing behind). Everything else is the example as shipped.
 */
export function testNginxConf(dir: string, options: NginxOptions): string {
  let conf = readFileSync(deployConfPath, 'utf8');
  conf = substitute(conf, /^worker_processes .*;$/m, 'worker_processes 1;', 'worker_processes');
  conf = substitute(conf, /^\s*listen 8080;$/m, `    listen 127.0.0.1:${options.port};`, 'listen 8080');
  conf = substitute(conf, /access_log \S+ bridge;/, `access_log ${join(dir, 'access.log')} bridge;`, 'access_log');
  const upstreamServers = /^(\s*)server [\w.-]+:3000( [^;]*)?;$/m;
  const indent = upstreamServers.exec(conf)?.[1] ?? '    ';
  const servers = options.upstreams.map((upstream) => `${indent}server ${upstream} max_fails=1 fail_timeout=10s;`).join('\n');
  conf = substitute(conf, new RegExp(`(?:${upstreamServers.source}\\n?)+`, 'm'), `${servers}\n`, 'upstream servers');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${join(dir, name)};`).join('\n');
  conf = substitute(conf, /^http \{$/m, `http {\n${temp}`, 'http block');
  return conf;
}

async function waitForHttp(url: string, timeoutMs: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = failed();
    if (failure !== undefined) throw new Error(failure);
    try {
      const response = await fetch(`${url}/healthz`);
      await response.body?.cancel();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not answer at ${url} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** A real nginx running deploy/nginx.conf, the test's child (`daemon off`), stopped on teardown. */
export async function startNginx(t: TapLike, options: NginxOptions): Promise<Nginx> {
  const binary = nginxBinary();
  const dir = t.testdir();
  const confPath = join(dir, 'nginx.conf');
  const conf = testNginxConf(dir, options);
  writeFileSync(confPath, conf);
  const errorLog = join(dir, 'error.log');
  const child = spawn(binary, ['-p', dir, '-c', confPath, '-e', errorLog, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Killed with the test process even when it dies without running its teardown.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code) => {
      process.removeListener('exit', orphanGuard);
      exitCode = code;
      resolve();
    });
  });
  t.teardown(async () => {
    if (exitCode !== undefined) return;
    // SIGQUIT is nginx's graceful shutdown; SIGKILL if it lingers.
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  });
  const url = `http://127.0.0.1:${options.port}`;
  await waitForHttp(url, 5000, () => {
    if (exitCode === undefined) return undefined;
    const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
    return `nginx exited with ${String(exitCode)}:\n${output}\n${log}`;
  });
  return { url, conf, accessLog: join(dir, 'access.log') };
}
