import { pino, type Logger } from 'pino';

/**
 * Never logged: credentials and cookies in headers. Other log calls name their fields (reason,
 * client, page, error, err), never a token or a code; request URLs are logged by path only
 * (query strings of /authorize and /callback carry codes). Explicit paths only: wildcards
 * (`*.code`) make pino walk every logged object and every request's child logger, ~8 µs a
 * request (a fifth of a discovery request's CPU), and `*.code` also blanked `err.code`.
 */
const redactPaths = ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/**
 * Lines go to stdout in batches of at least 4 KiB, and at least every 100 ms (pino flushes what
 * is left on exit): a thread-pool write per line took a line from 4–5 to 10–12 µs of CPU on one
 * core (BENCHMARKS.md). The batches delay a line, never drop it.
 */
const batchBytes = 4096;
const flushEveryMs = 100;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'kakao-oidc-bridge' } },
    destination ?? pino.destination({ dest: 1, sync: false, minLength: batchBytes, periodicFlush: flushEveryMs }),
  );
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
