import { Ajv } from 'ajv';
import t from 'tap';
import { AuthorizeParams } from '../../src/oidc/authorize.js';
import { CallbackParams, CallbackQuery } from '../../src/oidc/callback.js';
import { TokenBody } from '../../src/oidc/token.js';
import { UserinfoBody } from '../../src/oidc/userinfo.js';

// The bridge's Ajv skips the meta-schema check to start faster (src/app.ts): it is made here instead.
t.test('every route schema is valid JSON Schema and compiles in strict mode', async (t) => {
  const ajv = new Ajv({ strict: true });
  for (const [name, schema] of Object.entries({ AuthorizeParams, CallbackParams, CallbackQuery, TokenBody, UserinfoBody })) {
    t.equal(ajv.validateSchema(schema), true, `${name} follows the meta-schema`);
    t.same(ajv.errors ?? null, null, `${name}: no meta-schema error`);
    t.doesNotThrow(() => ajv.compile(schema), `${name} compiles`);
  }
  t.equal(ajv.validateSchema({ type: 'object', properties: { a: { type: 'strnig' } } }), false, 'a misspelt type is caught');
});
