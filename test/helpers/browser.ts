/**
 * A minimal browser for flow tests: keeps cookies (one jar for all of 127.0.0.1, as a browser
 * does across ports) and follows redirects by hand until one leaves for the relying party.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /**
   * Follows redirects from `url` until one points at `stopPrefix` (the relying party's
   * redirect_uri), and returns that URL without loading it. Throws when a page answers instead.
   */
  async follow(url: string, stopPrefix: string, maxHops = 10): Promise<URL> {
    let next = url;
    for (let hop = 0; hop < maxHops; hop++) {
      const response = await this.get(next);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) {
        throw new BrowserStopped(next, response.status, await response.text());
      }
      next = new URL(location, next).href;
      if (next.startsWith(stopPrefix)) return new URL(next);
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }
}

/** The browser landed on a page (status, body) instead of being redirected back. */
export class BrowserStopped extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`stopped at ${new URL(url).pathname} with ${status}`);
    this.name = 'BrowserStopped';
  }
}
