/**
 * `npm run demo` entry point: the bridge in front of a SIMULATED Kakao, with a demo relying
 * party to click through. Settings: PORT (bridge, default 3000), DEMO_RP_PORT (default 3001),
 * DATA_DIR (default ./data/demo), LOG_LEVEL (default info). Never for production.
 */
import { startDemo, demoBanner } from './demo.js';

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535) throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return value;
}

async function main(): Promise<void> {
  process.stderr.write('\n*** kakao-oidc-bridge DEMO MODE: simulated Kakao login, never for production ***\n');
  const demo = await startDemo({
    port: portFrom('PORT', 3000),
    rpPort: portFrom('DEMO_RP_PORT', 3001),
    dataDir: process.env.DATA_DIR === undefined || process.env.DATA_DIR === '' ? './data/demo' : process.env.DATA_DIR,
    logLevel: process.env.LOG_LEVEL === undefined || process.env.LOG_LEVEL === '' ? 'info' : process.env.LOG_LEVEL,
  });
  // The banner goes to stdout, in order with the bridge's log lines; stderr gets the essentials too.
  process.stdout.write(demoBanner(demo));
  process.stderr.write(`*** DEMO MODE is running. Open ${demo.rpUrl} (Ctrl+C to stop) ***\n\n`);

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stderr.write(`\nkakao-oidc-bridge demo: ${signal}, shutting down\n`);
    const forced = setTimeout(() => {
      process.stderr.write('kakao-oidc-bridge demo: shutdown took too long, exiting\n');
      process.exit(1);
    }, 5000);
    forced.unref();
    demo.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`kakao-oidc-bridge demo: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`kakao-oidc-bridge demo: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
