/** Sent with every response (src/app.ts), and part of the precomputed public documents (src/oidc/discovery.ts). */
export const securityHeaders = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;
