import type { ClientConfig, Config } from '../config.js';
import type { KeySet } from '../keys.js';
import type { ProviderMetrics } from '../ops/metrics.js';
import type { Connector } from '../upstream/connector.js';
import type { BrowserBinding } from './browser-binding.js';
import type { Records } from './records.js';

/** Everything the provider's endpoints share, built once by buildApp. */
export interface ProviderContext {
  config: Config;
  issuer: string;
  clients: ReadonlyMap<string, ClientConfig>;
  connectors: ReadonlyMap<string, Connector>;
  records: Records;
  keys: KeySet;
  binding: BrowserBinding;
  metrics: ProviderMetrics;
  /** Seconds since the epoch: issued-at and expiry times, and what a sealed access token's lifetime is judged by. */
  now: () => number;
  endpoints: {
    authorization: string;
    token: string;
    userinfo: string;
    jwks: string;
    callback: (connectorId: string) => string;
  };
}
