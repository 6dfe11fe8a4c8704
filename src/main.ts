import { enableCompileCache } from 'node:module';

// Compiling the bridge's and its packages' JavaScript is most of a start's CPU time. V8's code
// cache (NODE_COMPILE_CACHE, else a directory under the OS temp dir) lets every start after the
// first skip it; the container image ships the cache already filled (Dockerfile).
enableCompileCache();
await import('./server.js');
