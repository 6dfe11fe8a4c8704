/** Child process of test/ops/logging.test.ts: logs through the bridge's default destination (stdout). */
import { createLogger } from '../../src/logging.js';

const logger = createLogger('info');
const [mode = 'exit', count = '1'] = process.argv.slice(2);
for (let line = 0; line < Number(count); line++) logger.info({ line }, 'numbered line');
if (mode === 'exit') process.exit(0);
// Otherwise stay up, idle, until the parent kills this process.
setTimeout(() => undefined, 60_000);
