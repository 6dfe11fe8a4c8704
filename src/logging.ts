import { pino, type Logger } from 'pino';

/**
 * Never logged, wherever they appear in a logged object: credentials, codes, tokens, cookies.
 * Request URLs are logged by path only (query strings of /authorize and /callback carry codes).
 */
const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.code',
  '*.access_token',
  '*.id_token',
  '*.client_secret',
  '*.client_assertion',
  '*.code_verifier',
  '*.password',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'kakao-oidc-bridge' } }, destination);
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
