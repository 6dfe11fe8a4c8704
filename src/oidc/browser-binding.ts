import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken } from './secrets.js';

/**
 * Binds a login to the browser that started it, so that a callback URL replayed in another
 * browser (login CSRF, a leaked callback) yields no code. @see RFC 9700 §4.7, RFC 6749 §10.12
 *
 * The cookie holds a random per-browser id, signed; each pending login records it, so several
 * logins in parallel tabs of one browser all work.
 */
export class BrowserBinding {
  private readonly name: string;
  private readonly secure: boolean;

  constructor(issuer: string) {
    this.secure = issuer.startsWith('https:');
    // The __Host- prefix pins the cookie to this host, https, and Path=/. @see RFC 6265bis §4.1.3.2
    this.name = this.secure ? '__Host-kob_browser' : 'kob_browser';
  }

  /** The browser's id, set (or refreshed) on the reply. */
  bind(request: FastifyRequest, reply: FastifyReply, ttlSeconds: number): string {
    const browser = this.read(request) ?? randomToken();
    reply.setCookie(this.name, browser, {
      signed: true,
      httpOnly: true,
      secure: this.secure,
      sameSite: 'lax',
      path: '/',
      maxAge: ttlSeconds,
    });
    return browser;
  }

  read(request: FastifyRequest): string | undefined {
    const raw = request.server.parseCookie(request.headers.cookie ?? '')[this.name];
    if (raw === undefined) return undefined;
    const unsigned = request.unsignCookie(raw);
    return unsigned.valid ? unsigned.value : undefined;
  }
}
