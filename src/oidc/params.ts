import type { FastifyRequest } from 'fastify';
import { InvalidRequest } from '../errors.js';

/** @see RFC 6749 §3.1, §3.2: a parameter sent without a value is treated as omitted. */
export function withoutEmptyValues(params: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params ?? {}).filter(([, value]) => value !== ''));
}

/**
 * The Authorization header, refusing a request that sends it twice (Node would keep only the
 * first one). @see RFC 9110 §5.3, RFC 6749 §5.2 (more than one authentication mechanism)
 */
export function singleAuthorization(request: FastifyRequest): string | undefined {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let index = 0; index < raw.length; index += 2) {
    if (raw[index]?.toLowerCase() === 'authorization') count++;
  }
  if (count > 1) throw new InvalidRequest('the Authorization header is repeated');
  return request.headers.authorization;
}
