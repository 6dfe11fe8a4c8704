import { Agent, request } from 'undici';

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Safe to send twice (no single-use input): retried once after a connection failure or a 502/503/504. */
  idempotent?: boolean;
}

export interface UpstreamResponse {
  status: number;
  contentType: string;
  body: string;
}

export type TransportFailure = 'timeout' | 'network' | 'too_large';

/** The request never produced a complete response. */
export class UpstreamTransportError extends Error {
  constructor(
    readonly failure: TransportFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'UpstreamTransportError';
  }
}

export interface UpstreamClientOptions {
  /** The whole exchange (connect, headers, body, one retry) finishes within this or fails. */
  timeoutMs: number;
  maxBodyBytes?: number;
}

const retryableStatuses = new Set([502, 503, 504]);
const retryDelayMs = 100;

/** HTTP calls to upstream identity sources over a keep-alive pool, with a deadline and a size cap. */
export class UpstreamClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;

  constructor(options: UpstreamClientOptions) {
    this.timeoutMs = options.timeoutMs;
    this.maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: 128,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.timeoutMs },
    });
  }

  async send(upstream: UpstreamRequest): Promise<UpstreamResponse> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    const attempts = upstream.idempotent === true ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      const last = attempt === attempts;
      try {
        const response = await this.attempt(upstream, signal);
        if (last || !retryableStatuses.has(response.status)) return response;
      } catch (error) {
        if (last || !(error instanceof UpstreamTransportError) || error.failure !== 'network') throw error;
      }
      await delay(retryDelayMs, signal);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async attempt(upstream: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse> {
    try {
      const response = await request(upstream.url, {
        method: upstream.method,
        headers: upstream.headers,
        body: upstream.body,
        dispatcher: this.agent,
        signal,
      });
      const contentType = headerValue(response.headers['content-type']);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          response.body.destroy();
          throw new UpstreamTransportError('too_large', `response body exceeds ${this.maxBodyBytes} bytes`);
        }
        chunks.push(chunk);
      }
      return { status: response.statusCode, contentType, body: Buffer.concat(chunks).toString('utf8') };
    } catch (error) {
      if (error instanceof UpstreamTransportError) throw error;
      if (signal.aborted) throw new UpstreamTransportError('timeout', `no complete response within ${this.timeoutMs} ms`, { cause: error });
      throw new UpstreamTransportError('network', (error as Error).message, { cause: error });
    }
  }
}

function headerValue(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new UpstreamTransportError('timeout', 'deadline passed before retry'));
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new UpstreamTransportError('timeout', 'deadline passed before retry'));
    }, { once: true });
  });
}
