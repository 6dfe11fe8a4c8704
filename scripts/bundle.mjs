// The last step of `npm run build`: bundles dist/server.js (as tsc wrote it) and everything it
// imports (845 modules of the bridge and its packages) into dist/server.js itself, so that
// `node dist/main.js` loads one file: resolving, reading and wrapping modules one by one was a
// third of a start's CPU time (bench:profile -- startup; BENCHMARKS.md, cold start).
// dist/main.js stays a separate small file, because it turns on V8's code cache before the
// bundle is compiled. The other files tsc wrote (cli.js, the demo, the modules the bench and the
// tests import) stay as they are.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/server.js'],
  outdir: 'dist',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // The Redis store (and ioredis, left to node_modules) is a chunk of its own, loaded only when
  // REDIS_URL is set, as the unbundled code did.
  splitting: true,
  // Fastify requires these only when it must compile a schema or a serializer itself (never: the
  // bridge gives it both compilers, src/http/route-validators.ts) or for inject(); bundled, they
  // were a fifth of the file that a start without a code cache parses.
  external: ['ioredis', '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  sourcesContent: false,
  // Bundled CommonJS packages call require() for Node's built-in modules; an ES module has none.
  banner: { js: "import { createRequire as bundleRequire } from 'node:module'; const require = bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
