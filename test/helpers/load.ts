/**
 * Pieces of the load tests (test/soak): the bridge as a real process (src/main.ts, as `npm start`
 * runs it), a gate in front of the fake Kakao that holds calls on demand (to keep requests in
 * flight inside the bridge), and a login whose every leg goes where the caller says.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { confidential, type TapLike } from './bridge.js';
import { authorizeQuery } from './flow.js';
import { spawnTypeScript } from './typescript-child.js';

const mainModule = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface BridgeProcess {
  child: ChildProcess;
  port: number;
  origin: string;
  /** Resolves with the exit code and signal once the process has exited. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Everything it wrote (pino JSON on stdout, errors on stderr). */
  output(): { stdout: string; stderr: string };
}

/**
 * Starts src/main.ts in a child process, with the TypeScript loader tap gives this test (no build
 * needed), and resolves once discovery answers. Killed on teardown if still running.
 */
export async function spawnBridge(t: TapLike, env: Record<string, string>, timeoutMs = 20_000): Promise<BridgeProcess> {
  const port = Number(env.PORT);
  const { child, exited, output } = spawnTypeScript(mainModule, [], { HOST: '127.0.0.1', ...env });
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exited.then(() => process.removeListener('exit', orphanGuard));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the bridge exited with ${child.exitCode}: ${output().stderr}`);
    try {
      const response = await fetch(`${origin}/.well-known/openid-configuration`);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the bridge did not answer within ${timeoutMs} ms: ${output().stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, port, origin, exited, output };
}

export interface Gate {
  /** Where the bridge's KAKAO_API_URL points. */
  url: string;
  /** Calls received and not yet answered. */
  readonly held: number;
  /** From now on, calls wait until release(). */
  hold(): void;
  /** Lets every held call through, and the next ones at once. */
  release(): void;
  /** Resolves once at least `count` calls are held. */
  waitForHeld(count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A pass-through proxy to `target` (the fake Kakao) that can hold calls, keeping the bridge's requests in flight. */
export async function startGate(t: TapLike, target: string): Promise<Gate> {
  const targetUrl = new URL(target);
  let holding = false;
  let waiting: (() => void)[] = [];
  let held = 0;
  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const upstream = httpRequest(
      { host: targetUrl.hostname, port: targetUrl.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  };
  const server: Server = createServer((incoming, outgoing) => {
    if (!holding) {
      forward(incoming, outgoing);
      return;
    }
    held++;
    let gone = false;
    // A caller that gives up (its deadline) is no longer held.
    outgoing.once('close', () => {
      if (!gone) held--;
      gone = true;
    });
    waiting.push(() => {
      if (gone) return;
      gone = true;
      held--;
      forward(incoming, outgoing);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = async () => {
    holding = false;
    for (const go of waiting) go();
    waiting = [];
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  t.teardown(close);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get held() {
      return held;
    },
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      const go = waiting;
      waiting = [];
      for (const next of go) next();
    },
    waitForHeld: async (count, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (held < count) {
        if (Date.now() > deadline) throw new Error(`only ${held} of ${count} calls held after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close,
  };
}

/** What became of one HTTP request. */
export type Outcome =
  | { kind: 'response'; status: number; location: string | undefined; body: string; setCookies: string[] }
  /** The connection was refused or reset, or the socket closed before any response. */
  | { kind: 'error'; code: string };

/** An undici request that never throws: a response, or the network error's code. Bounded by `timeoutMs`. */
export async function send(
  dispatcher: Agent,
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Outcome> {
  try {
    const response = await request(url, {
      dispatcher,
      method: init.method ?? 'GET',
      headers: init.headers,
      body: init.body,
      headersTimeout: init.timeoutMs ?? 15_000,
      bodyTimeout: init.timeoutMs ?? 15_000,
    });
    const location = response.headers.location;
    const setCookie = response.headers['set-cookie'];
    return {
      kind: 'response',
      status: response.statusCode,
      location: typeof location === 'string' ? location : undefined,
      body: await response.body.text(),
      setCookies: setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie],
    };
  } catch (error) {
    const code = (error as { code?: string }).code ?? (error as Error).name;
    return { kind: 'error', code };
  }
}

/** A cookie jar for one browser (all of 127.0.0.1). */
export class Jar {
  private readonly cookies = new Map<string, string>();

  header(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  keep(outcome: Outcome): void {
    if (outcome.kind !== 'response') return;
    for (const line of outcome.setCookies) {
      const [pair = ''] = line.split(';');
      const equals = pair.indexOf('=');
      this.cookies.set(pair.slice(0, equals).trim(), pair.slice(equals + 1).trim());
    }
  }
}

export function authorizePath(state: string, nonce = 'n'): string {
  return `/authorize?${authorizeQuery({ state, nonce }).toString()}`;
}

export function tokenForm(code: string): string {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: confidential.redirectUri,
    client_id: confidential.clientId,
    client_secret: confidential.clientSecret,
  }).toString();
}

export const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

/** Runs `task` for every index in [0, count), `concurrency` at a time. */
export async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const index = next++;
        await task(index);
      }
    }),
  );
}
