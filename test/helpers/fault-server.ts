/**
 * A loopback stand-in for one Kakao host that misbehaves on demand: it refuses nothing (a closed
 * port does that), but resets connections, answers with bytes that are not HTTP, hangs, dribbles
 * a body, answers 429/503, closes mid-body, streams without end, or redirects. In `pass` mode it
 * forwards every request to the fake Kakao, so the same connector recovers once the fault is gone.
 */
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';

export type FaultMode =
  /** Forward to the target (the fake Kakao). */
  | 'pass'
  /** Accept the connection, then reset it (RST) before reading anything. */
  | 'reset'
  /** Answer with a TLS alert record and binary junk, as a TLS port would to plain HTTP. */
  | 'not-http'
  /** Read the request, never answer. */
  | 'hang'
  /** 200 and a Content-Length, then the body one byte every 50 ms (slow-loris). */
  | 'slow-body'
  /** 429 Too Many Requests, text/plain, Retry-After. */
  | 'status-429'
  /** 503 with an HTML body, every time (the retry gets it too). */
  | 'status-503'
  /** 200 with a Content-Length, half the body, then the connection closes. */
  | 'close-mid-body'
  /** 200 chunked JSON that never ends. */
  | 'endless'
  /** 302 to `/trap` on this server, which counts the hits (a followed redirect). */
  | 'redirect'
  /** A 200 token response whose access_token cannot go into an Authorization header (a newline). */
  | 'bad-access-token'
  /** Forward to the target after `delayMs`: slow, but in time. */
  | 'delay';

export interface FaultServer {
  readonly url: string;
  readonly port: number;
  mode: FaultMode;
  /** Where `pass` forwards to, e.g. the fake Kakao's URL. */
  target: string | undefined;
  /** How long `delay` waits before forwarding. */
  delayMs: number;
  /** Requests that reached `/trap` (followed redirects). */
  readonly trapHits: number;
  /** Connections accepted. */
  readonly connections: number;
  /** HTTP requests read (raw faults answer connections, not requests). */
  readonly requests: number;
  close(): Promise<void>;
}

/** TLS alert (handshake failure) and junk: what a client reading HTTP gets from a TLS endpoint. */
const notHttp = Buffer.concat([Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]), Buffer.from('\u0000\u00ff\u00fe garbage \r\n\r\n', 'latin1')]);
const jsonBody = JSON.stringify({ access_token: 'x'.repeat(40), token_type: 'bearer', expires_in: 21599, id: 4218530917 });

export async function startFaultServer(options: { port?: number; mode?: FaultMode; target?: string } = {}): Promise<FaultServer> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let trapHits = 0;
  let connections = 0;
  let requests = 0;

  const state = {
    mode: options.mode ?? 'pass',
    target: options.target,
    delayMs: 0,
  };

  const http = createHttpServer((req, res) => {
    handle(req, res);
  });
  http.keepAliveTimeout = 30_000;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    requests++;
    if ((req.url ?? '').startsWith('/trap')) {
      trapHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(jsonBody);
      return;
    }
    switch (state.mode) {
      case 'pass':
      case 'reset':
      case 'not-http':
        forward(req, res, state.target);
        return;
      case 'hang':
        req.resume();
        return;
      case 'delay': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          forward(req, res, state.target);
        }, state.delayMs);
        timers.add(timer);
        return;
      }
      case 'slow-body': {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(jsonBody) });
        let sent = 0;
        const timer = setInterval(() => {
          if (res.destroyed || sent >= jsonBody.length) {
            clearInterval(timer);
            timers.delete(timer);
            if (!res.destroyed) res.end();
            return;
          }
          res.write(jsonBody[sent++]);
        }, 50);
        timers.add(timer);
        return;
      }
      case 'status-429':
        req.resume();
        res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': '30' }).end('Too Many Requests');
        return;
      case 'status-503':
        req.resume();
        res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>503 Service Temporarily Unavailable</h1>');
        return;
      case 'close-mid-body':
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(jsonBody) });
        res.write(jsonBody.slice(0, 20), () => {
          res.socket?.destroy();
        });
        return;
      case 'endless': {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' });
        const chunk = `"${'k'.repeat(64 * 1024)}",`;
        res.write('[');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      case 'bad-access-token':
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8' }).end(JSON.stringify({ access_token: 'kakao-token\r\nX-Injected: 1', token_type: 'bearer', expires_in: 21599 }));
        return;
      case 'redirect':
        req.resume();
        res.writeHead(302, { location: `${url}/trap${req.url ?? ''}`, 'content-length': 0 }).end();
        return;
    }
  };

  const server = createNetServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (state.mode === 'reset') {
      socket.resetAndDestroy();
      return;
    }
    if (state.mode === 'not-http') {
      socket.end(notHttp);
      return;
    }
    http.emit('connection', socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    get mode() {
      return state.mode;
    },
    set mode(mode: FaultMode) {
      state.mode = mode;
    },
    get target() {
      return state.target;
    },
    set target(target: string | undefined) {
      state.target = target;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    get trapHits() {
      return trapHits;
    },
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        http.close();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A plain HTTP forward to `target`, headers and body as they are. */
function forward(req: IncomingMessage, res: ServerResponse, target: string | undefined): void {
  if (target === undefined) {
    res.writeHead(502).end();
    return;
  }
  const upstream = new URL(target);
  const proxied = httpRequest(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  proxied.on('error', () => {
    res.destroy();
  });
  req.pipe(proxied);
}
