/** A small keep-alive HTTP client for driving logins (undici pools, one per origin) and a cookie jar. */
import { Pool } from 'undici';

export interface Response {
  status: number;
  location: string | undefined;
  setCookies: string[];
  body: string;
}

export interface Request {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export class Client {
  private readonly pools = new Map<string, Pool>();
  private readonly connections: number;

  constructor(connections: number) {
    this.connections = connections;
  }

  async send(url: string, request: Request = {}): Promise<Response> {
    const target = new URL(url);
    let pool = this.pools.get(target.origin);
    if (pool === undefined) {
      pool = new Pool(target.origin, { connections: this.connections, pipelining: 1, keepAliveTimeout: 30_000 });
      this.pools.set(target.origin, pool);
    }
    const response = await pool.request({
      method: request.method ?? 'GET',
      path: target.pathname + target.search,
      headers: request.headers ?? {},
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const body = await response.body.text();
    const { location, 'set-cookie': setCookie } = response.headers;
    return {
      status: response.statusCode,
      location: typeof location === 'string' ? new URL(location, url).href : undefined,
      setCookies: setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie],
      body,
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
    this.pools.clear();
  }
}

/** One browser's cookies; paths and domains are ignored (everything here is on 127.0.0.1). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const equals = pair.indexOf('=');
      const name = pair.slice(0, equals).trim();
      const value = pair.slice(equals + 1).trim();
      const expired = /max-age=0\b/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }
}

/** Runs `task` `count` times with at most `concurrency` at once, or until `deadline` (ms, performance.now()). */
export async function runConcurrently(count: number, concurrency: number, deadline: number, task: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count && performance.now() < deadline) {
      const index = next++;
      await task(index);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return done;
}
