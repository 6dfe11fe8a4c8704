import type { FastifyInstance } from 'fastify';

/** While closing, idle keep-alive sockets are closed this often (those whose last response was already on its way). */
const idleSweepMs = 100;

/**
 * Graceful close (SIGTERM): app.close() stops accepting connections, closes idle keep-alive
 * sockets and waits for in-flight requests. Node closes idle sockets only once, when the close
 * starts; a socket whose request was in flight then would stay open after its response until
 * the keep-alive timeout (72 s), holding the close and ending in a forced exit. So, while closing,
 * every response says `Connection: close` (the client does not reuse the socket, so it never races
 * a request against the close) and idle sockets are closed as soon as they are idle.
 * Requests that arrive on an open socket meanwhile get Fastify's 503 (`return503OnClosing`).
 */
export function registerDrain(app: FastifyInstance): void {
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    closing = true;
    sweeper = setInterval(() => {
      app.server.closeIdleConnections();
    }, idleSweepMs);
    sweeper.unref();
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweeper);
    done();
  });
}
