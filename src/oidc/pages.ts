import type { FastifyReply } from 'fastify';

/** Headers for every HTML page: no framing, no referrer leaks, nothing but inline styles. */
export const pageHeaders = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function sendPage(reply: FastifyReply, status: number, title: string, bodyHtml: string): FastifyReply {
  return reply
    .code(status)
    .headers(pageHeaders)
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#222}</style>` +
        `</head><body>${bodyHtml}</body></html>`,
    );
}

export function sendErrorPage(reply: FastifyReply, status: number, title: string, detail: string): FastifyReply {
  return sendPage(reply, status, title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>`);
}
