import { readFile } from 'node:fs/promises';
import { AjvCompiler } from '@fastify/ajv-compiler';
import Fastify from 'fastify';
import t from 'tap';
import { Type } from 'typebox';
import { generatedValidators } from '../../src/http/route-validators.generated.js';
import { routeSchemaCompilers, routeSchemaKey } from '../../src/http/route-validators.js';
import { generatedPath, generateRouteValidators, routeSchemas } from '../../scripts/route-validators.js';
import { startBridge } from '../helpers/bridge.js';

t.test('the generated validators are those the route schemas give today', async (t) => {
  t.equal(await readFile(generatedPath, 'utf8'), generateRouteValidators(), 'src/http/route-validators.generated.ts is fresh (npm run generate:validators)');
  t.equal(generatedValidators.size, Object.keys(routeSchemas).length, 'one validator per route schema');
});

t.test('the bridge starts with every route validator generated, none compiled', async (t) => {
  const bridge = await startBridge(t);
  const response = await fetch(`${bridge.issuer}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'x'.repeat(257) }) });
  t.equal(response.status, 400, 'a code longer than the token schema allows is refused before the client is authenticated');
  t.match(await response.json(), { error: 'invalid_request', error_description: /invalid body/ });
});

// Each generated validator against Fastify's own Ajv compiling the same schema at run time, on
// the inputs whose handling depends on Fastify's Ajv options (coercion of one-item arrays,
// removal of properties a schema forbids, code-point lengths) and on the schemas' limits.
t.test('each generated validator decides as Fastify compiling the schema at start would', async (t) => {
  const compileAtStart = AjvCompiler()({}, { customOptions: {} });
  const inputs = [
    {},
    { client_id: 'logto', state: 'xyz', grant_type: 'authorization_code', connectorId: 'kakao', code: 'c' },
    { state: ['one'] },
    { state: ['one', 'two'] },
    { client_id: 'x'.repeat(255) },
    { client_id: 'x'.repeat(256) },
    { client_id: '😀'.repeat(255) },
    { unknown_parameter: 'kept' },
    { unknown_parameter: 'y'.repeat(4097) },
    { unknown_parameter: { nested: true } },
    { access_token: 1 },
    'not an object',
  ];
  for (const [name, schema] of Object.entries(routeSchemas)) {
    const generated = generatedValidators.get(routeSchemaKey(schema));
    const compiled = compileAtStart({ schema, method: 'POST', url: '/', httpPart: 'body' });
    if (generated === undefined) {
      t.fail(`${name} has no generated validator`);
      continue;
    }
    for (const input of inputs) {
      const [forGenerated, forCompiled] = [structuredClone(input), structuredClone(input)];
      t.equal(generated(forGenerated), compiled(forCompiled), `${name}: ${JSON.stringify(input).slice(0, 60)} is decided alike`);
      t.same(forGenerated, forCompiled, `${name}: ${JSON.stringify(input).slice(0, 60)} is coerced alike`);
      t.same(generated.errors ?? null, compiled.errors ?? null, `${name}: the same errors`);
    }
  }
});

t.test('a schema without generated code, or a response schema, fails the start with what to do', async (t) => {
  const app = Fastify({ schemaController: { compilersFactory: routeSchemaCompilers } });
  app.post('/new', { schema: { body: Type.Object({ added: Type.String() }) } }, () => ({}));
  await t.rejects(async () => app.ready(), /the body schema of POST \/new has no generated validator: run npm run generate:validators/);

  const withResponse = Fastify({ schemaController: { compilersFactory: routeSchemaCompilers } });
  withResponse.get('/out', { schema: { response: { 200: Type.Object({ a: Type.String() }) } } }, () => ({ a: 'b' }));
  await t.rejects(async () => withResponse.ready(), /GET \/out declares a response schema, which the bridge does not compile/);
});
