/** Fastify's trustProxy: a hop test, or what Fastify accepts as is (booleans, addresses/CIDRs). */
export type TrustProxy = boolean | string | ((address: string, hop: number) => boolean);

/**
 * TRUST_PROXY as Fastify's `trustProxy`. It only decides which hops may set X-Forwarded-For and
 * X-Forwarded-Proto (request.ip, request.protocol, hence logs); no URL the bridge emits reads
 * them, nor Host or X-Forwarded-Host: every URL derives from PUBLIC_URL.
 *
 * Fastify 5 turns a bare hop count into "trust nothing"; TRUST_PROXY=N keeps its documented
 * meaning, the N nearest hops, as `true` trusts every hop. Both suit a bridge that only its
 * proxies can reach; addresses/CIDRs also check who the nearest hop is.
 */
export function trustProxyOption(setting: boolean | number | string): TrustProxy {
  if (typeof setting !== 'number') return setting;
  if (setting === 0) return false;
  return (_address, hop) => hop < setting;
}
