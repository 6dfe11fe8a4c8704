/** undici's connection pool alone (see src/http/upstream-client.ts): the package declares only its index. */
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';

  const UndiciAgent: typeof Agent;
  export default UndiciAgent;
}
