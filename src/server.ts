import { buildDefaultApp } from './bootstrap.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logging.js';

/** Reads the config, builds the app, listens, and closes cleanly on SIGTERM/SIGINT (loaded by src/main.ts). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`kakao-oidc-bridge: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const app = await buildDefaultApp(config, logger);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error('shutdown took too long, exiting');
      process.exit(1);
    }, 8000);
    forced.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      issuer: config.issuer,
      clients: config.clients.length,
      connectors: config.connectors.length,
      setupPage: config.setupPage ? `${config.issuer}/` : false,
      metrics: config.metricsPort === undefined ? `${config.issuer}/metrics` : `port ${config.metricsPort}`,
    },
    'kakao-oidc-bridge ready',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`kakao-oidc-bridge: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
