import type { FastifyServerOptions } from 'fastify';
import { generatedValidators } from './route-validators.generated.js';

/** The key a route schema's validator is generated and looked up under: the schema as JSON (TypeBox's own markers are symbols, which JSON leaves out). */
export function routeSchemaKey(schema: unknown): string {
  return JSON.stringify(schema);
}

type SchemaCompilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Fastify's schema compilers for the bridge. Route input is validated by Ajv's standalone code,
 * generated from the route schemas with Fastify's own Ajv options (`npm run generate:validators`),
 * so that a start compiles no schema: Ajv's loading and compiling were a fifth of a start's CPU
 * time (BENCHMARKS.md, cold start). A schema without generated code fails the start, loudly.
 */
export const routeSchemaCompilers: SchemaCompilers = {
  buildValidator:
    () =>
    ({ schema, method, url, httpPart }) => {
      const validate = generatedValidators.get(routeSchemaKey(schema));
      if (validate === undefined) {
        throw new Error(`the ${httpPart ?? 'input'} schema of ${method ?? ''} ${url ?? ''} has no generated validator: run npm run generate:validators`);
      }
      return validate;
    },
  // The bridge declares no response schema (its bodies are precomputed or written by hand), so
  // Fastify's serializer compiler, which would load fast-json-stringify and a second Ajv, is left out.
  buildSerializer:
    () =>
    ({ method, url }) => {
      throw new Error(`${method} ${url} declares a response schema, which the bridge does not compile`);
    },
};
