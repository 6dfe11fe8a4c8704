import type { Test } from 'tap';

export interface RecordedExchange {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
  status: number;
  responseHeaders: Headers;
  responseBody: string;
}

/**
 * Records the exchanges the code under test makes with the global fetch (ky, openid-client and
 * oauth4webapi all use it) with URLs starting with `prefix`, until the end of test `t`. Lets an
 * interop test assert what a library sent and got, not only that it ended well.
 */
export function recordFetch(t: Test, prefix: string): RecordedExchange[] {
  const recorded: RecordedExchange[] = [];
  const original = globalThis.fetch;
  t.capture(globalThis, 'fetch', async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    if (!request.url.startsWith(prefix)) return original(request);
    const body = await request.clone().text();
    const response = await original(request);
    recorded.push({
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body,
      status: response.status,
      responseHeaders: response.headers,
      responseBody: await response.clone().text(),
    });
    return response;
  });
  return recorded;
}

/** The form fields of a recorded request body. */
export function formOf(exchange: RecordedExchange | undefined): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(exchange?.body ?? ''));
}
