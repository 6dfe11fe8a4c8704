/**
 * Lets the bench run as TypeScript without a build step (Node 24 strips the types): a relative
 * `./x.js` import from a .ts file resolves to `./x.ts` when there is no `x.js`, as tsc's
 * NodeNext resolution does. Loaded with `node --import ./bench/ts-resolve.ts`.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const fromTypeScript = context.parentURL?.endsWith('.ts') === true;
      if (fromTypeScript && specifier.startsWith('.') && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw error;
    }
  },
});
