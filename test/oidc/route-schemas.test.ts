import { Ajv } from 'ajv';
import t from 'tap';
import { routeSchemas } from '../../scripts/route-validators.js';

// The bridge compiles no schema when it starts (src/http/route-validators.ts): each route schema
// is checked here, in Ajv's strict mode, beside the generation's own meta-schema check.
t.test('every route schema is valid JSON Schema and compiles in strict mode', async (t) => {
  const ajv = new Ajv({ strict: true });
  for (const [name, schema] of Object.entries(routeSchemas)) {
    t.equal(ajv.validateSchema(schema), true, `${name} follows the meta-schema`);
    t.same(ajv.errors ?? null, null, `${name}: no meta-schema error`);
    t.doesNotThrow(() => ajv.compile(schema), `${name} compiles`);
  }
  t.equal(ajv.validateSchema({ type: 'object', properties: { a: { type: 'strnig' } } }), false, 'a misspelt type is caught');
});
