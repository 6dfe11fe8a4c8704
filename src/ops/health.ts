import type { FastifyInstance } from 'fastify';
import type { KeySet } from '../keys.js';
import type { Store } from '../store/store.js';
import { withTimeout } from '../timeout.js';

/** Readiness gives up on a store that does not answer within this, rather than hanging the probe. */
const readinessTimeoutMs = 2000;

/**
 * `/healthz`: the process serves requests (liveness). `/readyz`: it can also serve logins: every
 * signing key exists (a first start creates them once it listens) and the store answers.
 */
export function registerHealth(app: FastifyInstance, store: Store, keys: KeySet): void {
  app.get('/healthz', (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    try {
      await withTimeout(keys.ensureAllKeys(), readinessTimeoutMs);
    } catch (error) {
      request.log.warn({ err: error }, 'not ready: the signing keys could not be created');
      return reply.code(503).send({ status: 'unavailable', reason: 'signing keys' });
    }
    try {
      await withTimeout(store.ping(), readinessTimeoutMs);
      return await reply.send({ status: 'ready' });
    } catch (error) {
      request.log.warn({ err: error }, 'not ready: the store does not answer');
      return reply.code(503).send({ status: 'unavailable', reason: 'store' });
    }
  });
}
