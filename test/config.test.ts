import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';

type Env = Record<string, string | undefined>;

/** The smallest environment that starts the bridge: one Kakao app, one relying party. */
const minimal: Env = {
  PUBLIC_URL: 'https://login.example.com',
  KAKAO_CLIENT_ID: 'kakao-rest-api-key',
  OIDC_CLIENT_ID: 'logto',
  OIDC_REDIRECT_URIS: 'https://logto.example.com/callback/kakao',
};

/** Asserts that `env` is refused with a ConfigError naming `variable`. */
function rejects(t: Test, env: Env, variable: string, message?: RegExp): void {
  t.throws(() => loadConfig(env), { name: 'ConfigError', variable, ...(message === undefined ? {} : { message }) });
}

/** Writes a CONFIG_FILE into a fresh fixture folder and returns the environment that points at it. */
function withConfigFile(t: Test, file: unknown, env: Env = {}): Env {
  const dir = t.testdir({ 'bridge.json': JSON.stringify(file) });
  return { PUBLIC_URL: 'https://login.example.com', CONFIG_FILE: join(dir, 'bridge.json'), ...env };
}

t.test('defaults', async (t) => {
  t.test('applies the documented default of every optional setting', async (t) => {
    const config = loadConfig(minimal);
    t.match(config, {
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      dataDir: './data',
      signingAlg: 'RS256',
      cookieSecret: undefined,
      codeTtl: 60,
      loginTtl: 600,
      upstreamTimeoutMs: 10000,
    });
  });

  t.test('points the Kakao connector at the real Kakao hosts', async (t) => {
    const [connector] = loadConfig(minimal).connectors;
    t.match(connector, { id: 'kakao', type: 'kakao', clientId: 'kakao-rest-api-key', authUrl: 'https://kauth.kakao.com', apiUrl: 'https://kapi.kakao.com' });
  });

  t.test('sends no scope by default, so the console consent items decide', async (t) => {
    t.same(loadConfig(minimal).connectors[0]!.scopes, []);
  });

  t.test('gives the env client every connector and one-hour tokens', async (t) => {
    const config = loadConfig(minimal);
    t.equal(config.clients.length, 1);
    t.match(config.clients[0], {
      clientId: 'logto',
      redirectUris: ['https://logto.example.com/callback/kakao'],
      connectorIds: ['kakao'],
      accessTokenTtl: 3600,
      idTokenTtl: 3600,
      userinfoSignedResponseAlg: undefined,
    });
  });

  t.test('treats an empty variable as unset', async (t) => {
    const config = loadConfig({ ...minimal, PORT: '', HOST: '', LOG_LEVEL: '', KAKAO_CLIENT_SECRET: '' });
    t.equal(config.port, 3000);
    t.equal(config.host, '0.0.0.0');
    t.equal(config.logLevel, 'info');
    t.equal(config.connectors[0]!.clientSecret, undefined);
  });
});

t.test('settings read from the environment', async (t) => {
  t.test('reads every setting that is given', async (t) => {
    const config = loadConfig({
      ...minimal,
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      DATA_DIR: '/var/lib/bridge',
      SIGNING_ALG: 'ES256',
      COOKIE_SECRET: 'c'.repeat(32),
      CODE_TTL: '30',
      LOGIN_TTL: '300',
      KAKAO_TIMEOUT_MS: '5000',
      ACCESS_TOKEN_TTL: '600',
      ID_TOKEN_TTL: '900',
    });
    t.match(config, {
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'debug',
      dataDir: '/var/lib/bridge',
      signingAlg: 'ES256',
      cookieSecret: 'c'.repeat(32),
      codeTtl: 30,
      loginTtl: 300,
      upstreamTimeoutMs: 5000,
    });
    t.match(config.clients[0], { accessTokenTtl: 600, idTokenTtl: 900 });
  });

  t.test('strips the trailing slash from the issuer', async (t) => {
    t.equal(loadConfig({ ...minimal, PUBLIC_URL: 'https://login.example.com/' }).issuer, 'https://login.example.com');
  });

  t.test('keeps the path of an issuer mounted below the root', async (t) => {
    t.equal(loadConfig({ ...minimal, PUBLIC_URL: 'https://example.com/oidc/' }).issuer, 'https://example.com/oidc');
    t.equal(loadConfig({ ...minimal, PUBLIC_URL: 'https://example.com/oidc' }).issuer, 'https://example.com/oidc');
  });

  t.test('accepts a plain http issuer for local use', async (t) => {
    t.equal(loadConfig({ ...minimal, PUBLIC_URL: 'http://localhost:3000' }).issuer, 'http://localhost:3000');
  });

  t.test('overrides the Kakao hosts and strips their trailing slash', async (t) => {
    const config = loadConfig({ ...minimal, KAKAO_AUTH_URL: 'http://127.0.0.1:4000/', KAKAO_API_URL: 'http://127.0.0.1:4001/api/' });
    t.match(config.connectors[0], { authUrl: 'http://127.0.0.1:4000', apiUrl: 'http://127.0.0.1:4001/api' });
  });

  t.test('splits KAKAO_SCOPES on spaces and commas', async (t) => {
    const config = loadConfig({ ...minimal, KAKAO_SCOPES: ' openid, profile_nickname  account_email,profile_image ,' });
    t.same(config.connectors[0]!.scopes, ['openid', 'profile_nickname', 'account_email', 'profile_image']);
  });

  t.test('splits OIDC_REDIRECT_URIS on commas and keeps each uri verbatim', async (t) => {
    const config = loadConfig({ ...minimal, OIDC_REDIRECT_URIS: 'https://RP.example.com/cb , https://rp.example.com/cb?tenant=a' });
    t.same(config.clients[0]!.redirectUris, ['https://RP.example.com/cb', 'https://rp.example.com/cb?tenant=a']);
  });

  t.test('makes a public client when OIDC_CLIENT_SECRET is unset', async (t) => {
    t.equal(loadConfig(minimal).clients[0]!.clientSecret, undefined);
  });

  t.test('makes a confidential client when OIDC_CLIENT_SECRET is set', async (t) => {
    t.equal(loadConfig({ ...minimal, OIDC_CLIENT_SECRET: 's3cret' }).clients[0]!.clientSecret, 's3cret');
  });

  t.test('reads the Kakao client secret', async (t) => {
    t.equal(loadConfig({ ...minimal, KAKAO_CLIENT_SECRET: 'kakao-secret' }).connectors[0]!.clientSecret, 'kakao-secret');
  });

  t.test('accepts a COOKIE_SECRET of exactly 32 characters', async (t) => {
    t.equal(loadConfig({ ...minimal, COOKIE_SECRET: 'x'.repeat(32) }).cookieSecret, 'x'.repeat(32));
  });
});

t.test('secrets read from files (X_FILE)', async (t) => {
  t.test('reads each secret from the file named by its _FILE variable, trimmed', async (t) => {
    const dir = t.testdir({ kakao: 'kakao-secret\n', oidc: '  oidc-secret\n', cookie: `${'k'.repeat(40)}\n`, id: 'kakao-id\n' });
    const config = loadConfig({
      ...minimal,
      KAKAO_CLIENT_ID: undefined,
      KAKAO_CLIENT_ID_FILE: join(dir, 'id'),
      KAKAO_CLIENT_SECRET_FILE: join(dir, 'kakao'),
      OIDC_CLIENT_SECRET_FILE: join(dir, 'oidc'),
      COOKIE_SECRET_FILE: join(dir, 'cookie'),
    });
    t.equal(config.connectors[0]!.clientId, 'kakao-id');
    t.equal(config.connectors[0]!.clientSecret, 'kakao-secret');
    t.equal(config.clients[0]!.clientSecret, 'oidc-secret');
    t.equal(config.cookieSecret, 'k'.repeat(40));
  });

  t.test('rejects a secret file that cannot be read, naming the _FILE variable', async (t) => {
    const dir = t.testdir({});
    rejects(t, { ...minimal, KAKAO_CLIENT_SECRET_FILE: join(dir, 'missing') }, 'KAKAO_CLIENT_SECRET_FILE', /cannot read/);
  });

  t.test('rejects an empty secret file, naming the _FILE variable', async (t) => {
    const dir = t.testdir({ empty: '\n' });
    rejects(t, { ...minimal, OIDC_CLIENT_SECRET_FILE: join(dir, 'empty') }, 'OIDC_CLIENT_SECRET_FILE', /is empty/);
  });

  t.test('rejects a setting given both as X and as X_FILE', async (t) => {
    const dir = t.testdir({ secret: 'from-file' });
    rejects(t, { ...minimal, KAKAO_CLIENT_SECRET: 'direct', KAKAO_CLIENT_SECRET_FILE: join(dir, 'secret') }, 'KAKAO_CLIENT_SECRET', /not both/);
  });
});

t.test('startup errors name the variable', async (t) => {
  t.test('missing PUBLIC_URL', async (t) => {
    rejects(t, { ...minimal, PUBLIC_URL: undefined }, 'PUBLIC_URL', /required/);
  });

  t.test('PUBLIC_URL that is not an absolute URL', async (t) => {
    rejects(t, { ...minimal, PUBLIC_URL: 'login.example.com' }, 'PUBLIC_URL', /absolute URL/);
  });

  t.test('PUBLIC_URL that is not http or https', async (t) => {
    rejects(t, { ...minimal, PUBLIC_URL: 'ftp://login.example.com' }, 'PUBLIC_URL', /http or https/);
  });

  t.test('PUBLIC_URL with a query', async (t) => {
    rejects(t, { ...minimal, PUBLIC_URL: 'https://login.example.com/?tenant=a' }, 'PUBLIC_URL', /query or fragment/);
  });

  t.test('PUBLIC_URL with a fragment', async (t) => {
    rejects(t, { ...minimal, PUBLIC_URL: 'https://login.example.com/#top' }, 'PUBLIC_URL', /query or fragment/);
  });

  // BUG (src/config.ts parseIssuer): `new URL('https://x/?').search` is '' (likewise `hash` for a
  // bare '#'), so an empty query or fragment passes the check and ends up in the issuer
  // ("https://login.example.com/?"), and so in every URL the bridge emits. Left failing on purpose.
  t.test('PUBLIC_URL ending in an empty query or fragment never leaks "?" or "#" into the issuer', async (t) => {
    for (const publicUrl of ['https://login.example.com/?', 'https://login.example.com#']) {
      let issuer: string | undefined;
      try {
        issuer = loadConfig({ ...minimal, PUBLIC_URL: publicUrl }).issuer;
      } catch (error) {
        t.match(error, { name: 'ConfigError', variable: 'PUBLIC_URL' }, `${publicUrl} is refused`);
        continue;
      }
      t.equal(issuer, 'https://login.example.com', `${publicUrl} gives a clean issuer`);
    }
  });

  t.test('missing KAKAO_CLIENT_ID', async (t) => {
    rejects(t, { ...minimal, KAKAO_CLIENT_ID: undefined }, 'KAKAO_CLIENT_ID', /required/);
  });

  t.test('missing OIDC_CLIENT_ID', async (t) => {
    rejects(t, { ...minimal, OIDC_CLIENT_ID: undefined }, 'OIDC_CLIENT_ID', /required/);
  });

  t.test('missing OIDC_REDIRECT_URIS', async (t) => {
    rejects(t, { ...minimal, OIDC_REDIRECT_URIS: undefined }, 'OIDC_REDIRECT_URIS', /required/);
    rejects(t, { ...minimal, OIDC_REDIRECT_URIS: ' , ' }, 'OIDC_REDIRECT_URIS', /required/);
  });

  t.test('redirect uri with a fragment', async (t) => {
    rejects(t, { ...minimal, OIDC_REDIRECT_URIS: 'https://rp.example.com/cb,https://rp.example.com/cb#x' }, 'OIDC_REDIRECT_URIS', /fragment/);
    rejects(t, { ...minimal, OIDC_REDIRECT_URIS: 'https://rp.example.com/cb#' }, 'OIDC_REDIRECT_URIS', /fragment/);
  });

  t.test('redirect uri that is not an absolute http(s) URL', async (t) => {
    rejects(t, { ...minimal, OIDC_REDIRECT_URIS: '/callback' }, 'OIDC_REDIRECT_URIS', /absolute URL/);
    rejects(t, { ...minimal, OIDC_REDIRECT_URIS: 'javascript:alert(1)' }, 'OIDC_REDIRECT_URIS', /http or https/);
  });

  t.test('bad PORT', async (t) => {
    rejects(t, { ...minimal, PORT: 'eighty' }, 'PORT', /whole number/);
    rejects(t, { ...minimal, PORT: '-1' }, 'PORT', /whole number/);
    rejects(t, { ...minimal, PORT: '65536' }, 'PORT', /between 0 and 65535/);
  });

  t.test('bad SIGNING_ALG', async (t) => {
    rejects(t, { ...minimal, SIGNING_ALG: 'HS256' }, 'SIGNING_ALG', /RS256, ES256/);
  });

  t.test('bad LOG_LEVEL', async (t) => {
    rejects(t, { ...minimal, LOG_LEVEL: 'verbose' }, 'LOG_LEVEL');
  });

  t.test('COOKIE_SECRET shorter than 32 characters', async (t) => {
    rejects(t, { ...minimal, COOKIE_SECRET: 'x'.repeat(31) }, 'COOKIE_SECRET', /32/);
  });

  t.test('CODE_TTL above 60 seconds', async (t) => {
    rejects(t, { ...minimal, CODE_TTL: '61' }, 'CODE_TTL', /between 1 and 60/);
  });

  t.test('CODE_TTL of zero', async (t) => {
    rejects(t, { ...minimal, CODE_TTL: '0' }, 'CODE_TTL');
  });

  t.test('bad KAKAO_AUTH_URL', async (t) => {
    rejects(t, { ...minimal, KAKAO_AUTH_URL: 'kauth.kakao.com' }, 'KAKAO_AUTH_URL');
  });

  t.test('ConfigError carries the variable in its message', async (t) => {
    const error = new ConfigError('PORT', 'must be a whole number');
    t.equal(error.message, 'PORT: must be a whole number');
    t.equal(error.variable, 'PORT');
  });
});

const twoConnectorsTwoClients = {
  connectors: [
    { id: 'kakao', client_id: 'kakao-app-1', client_secret: 'secret-1', scopes: ['openid', 'profile_nickname'] },
    { id: 'kakao-biz', type: 'kakao', client_id: 'kakao-app-2', auth_url: 'http://127.0.0.1:4000/', api_url: 'http://127.0.0.1:4001' },
  ],
  clients: [
    {
      client_id: 'logto',
      client_secret: 'logto-secret',
      redirect_uris: ['https://logto.example.com/callback/a', 'https://logto.example.com/callback/b'],
      connectors: ['kakao-biz'],
      access_token_ttl: 600,
      id_token_ttl: 300,
      userinfo_signed_response_alg: 'ES256',
    },
    { client_id: 'spa', redirect_uris: ['http://localhost:5173/cb'] },
  ],
};

t.test('CONFIG_FILE', async (t) => {
  t.test('describes many connectors and clients without any env connector or client', async (t) => {
    const config = loadConfig(withConfigFile(t, twoConnectorsTwoClients));
    t.same(config.connectors, [
      { id: 'kakao', type: 'kakao', clientId: 'kakao-app-1', clientSecret: 'secret-1', scopes: ['openid', 'profile_nickname'], authUrl: 'https://kauth.kakao.com', apiUrl: 'https://kapi.kakao.com' },
      { id: 'kakao-biz', type: 'kakao', clientId: 'kakao-app-2', clientSecret: undefined, scopes: [], authUrl: 'http://127.0.0.1:4000', apiUrl: 'http://127.0.0.1:4001' },
    ]);
    t.same(config.clients, [
      {
        clientId: 'logto',
        clientSecret: 'logto-secret',
        redirectUris: ['https://logto.example.com/callback/a', 'https://logto.example.com/callback/b'],
        connectorIds: ['kakao-biz'],
        accessTokenTtl: 600,
        idTokenTtl: 300,
        userinfoSignedResponseAlg: 'ES256',
      },
      {
        clientId: 'spa',
        clientSecret: undefined,
        redirectUris: ['http://localhost:5173/cb'],
        connectorIds: ['kakao', 'kakao-biz'],
        accessTokenTtl: 3600,
        idTokenTtl: 3600,
        userinfoSignedResponseAlg: undefined,
      },
    ]);
  });

  t.test('adds its connectors and clients to the ones from the environment', async (t) => {
    const file = { connectors: [{ id: 'second', client_id: 'kakao-app-2' }], clients: [{ client_id: 'other', redirect_uris: ['https://other.example/cb'] }] };
    const config = loadConfig(withConfigFile(t, file, { KAKAO_CLIENT_ID: 'k', OIDC_CLIENT_ID: 'logto', OIDC_REDIRECT_URIS: 'https://logto.example/cb' }));
    t.same(config.connectors.map((connector) => connector.id), ['kakao', 'second']);
    t.same(config.clients.map((client) => [client.clientId, client.connectorIds]), [['logto', ['kakao', 'second']], ['other', ['kakao', 'second']]]);
  });

  t.test('gives file connectors the Kakao hosts from KAKAO_AUTH_URL and KAKAO_API_URL', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k' }], clients: [{ client_id: 'c', redirect_uris: ['https://rp.example/cb'] }] }, {
      KAKAO_AUTH_URL: 'http://127.0.0.1:9000',
      KAKAO_API_URL: 'http://127.0.0.1:9001',
    });
    t.match(loadConfig(env).connectors[0], { authUrl: 'http://127.0.0.1:9000', apiUrl: 'http://127.0.0.1:9001' });
  });

  t.test('reads client_secret_file for connectors and clients', async (t) => {
    const dir = t.testdir({ kakao: 'kakao-secret\n', client: 'client-secret\n' });
    const file = {
      connectors: [{ id: 'kakao', client_id: 'k', client_secret_file: join(dir, 'kakao') }],
      clients: [{ client_id: 'c', client_secret_file: join(dir, 'client'), redirect_uris: ['https://rp.example/cb'] }],
    };
    writeFileSync(join(dir, 'bridge.json'), JSON.stringify(file));
    const config = loadConfig({ PUBLIC_URL: 'https://login.example.com', CONFIG_FILE: join(dir, 'bridge.json') });
    t.equal(config.connectors[0]!.clientSecret, 'kakao-secret');
    t.equal(config.clients[0]!.clientSecret, 'client-secret');
  });

  t.test('rejects an unreadable client_secret_file, naming its JSON path', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k', client_secret_file: '/nonexistent/secret' }] });
    rejects(t, env, 'CONFIG_FILE /connectors/0/client_secret_file', /cannot read/);
  });

  t.test('rejects client_secret and client_secret_file together', async (t) => {
    const env = withConfigFile(t, {
      connectors: [{ id: 'kakao', client_id: 'k' }],
      clients: [{ client_id: 'c', client_secret: 'a', client_secret_file: '/run/secrets/c', redirect_uris: ['https://rp.example/cb'] }],
    });
    rejects(t, env, 'CONFIG_FILE /clients/0', /not both/);
  });

  t.test('rejects an unknown field, naming its JSON path', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k', clientSecret: 'camelCase' }] });
    rejects(t, env, 'CONFIG_FILE /connectors/0/clientSecret');
  });

  t.test('rejects an unknown top-level field, naming it', async (t) => {
    rejects(t, withConfigFile(t, { connectors: [], client: [] }), 'CONFIG_FILE /client');
  });

  t.test('rejects a client that names an unknown connector', async (t) => {
    const env = withConfigFile(t, {
      connectors: [{ id: 'kakao', client_id: 'k' }],
      clients: [{ client_id: 'c', redirect_uris: ['https://rp.example/cb'], connectors: ['naver'] }],
    });
    rejects(t, env, 'CONFIG_FILE /clients/0/connectors', /unknown connector "naver"/);
  });

  t.test('rejects two connectors with the same id', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k1' }, { id: 'kakao', client_id: 'k2' }] });
    rejects(t, env, 'CONFIG_FILE /connectors', /"kakao" is defined twice/);
  });

  t.test('rejects a file connector whose id clashes with the env connector', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k2' }] }, { KAKAO_CLIENT_ID: 'k1' });
    rejects(t, env, 'CONFIG_FILE /connectors', /"kakao" is defined twice/);
  });

  t.test('rejects two clients with the same client_id', async (t) => {
    const env = withConfigFile(t, {
      connectors: [{ id: 'kakao', client_id: 'k' }],
      clients: [
        { client_id: 'c', redirect_uris: ['https://rp.example/cb'] },
        { client_id: 'c', redirect_uris: ['https://rp.example/other'] },
      ],
    });
    rejects(t, env, 'CONFIG_FILE /clients', /"c" is defined twice/);
  });

  t.test('rejects a connector id that cannot appear in a callback path', async (t) => {
    rejects(t, withConfigFile(t, { connectors: [{ id: 'kakao/../x', client_id: 'k' }] }), 'CONFIG_FILE /connectors/0/id');
  });

  t.test('rejects a token lifetime out of range, naming its JSON path', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k' }], clients: [{ client_id: 'c', redirect_uris: ['https://rp.example/cb'], access_token_ttl: 5 }] });
    rejects(t, env, 'CONFIG_FILE /clients/0/access_token_ttl');
  });

  t.test('rejects a client with no redirect_uris', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k' }], clients: [{ client_id: 'c', redirect_uris: [] }] });
    rejects(t, env, 'CONFIG_FILE /clients/0/redirect_uris');
  });

  t.test('rejects a file redirect uri with a fragment, naming its JSON path', async (t) => {
    const env = withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k' }], clients: [{ client_id: 'c', redirect_uris: ['https://rp.example/cb#x'] }] });
    rejects(t, env, 'CONFIG_FILE /clients/0/redirect_uris', /fragment/);
  });

  t.test('rejects a bad connector auth_url, naming its JSON path', async (t) => {
    rejects(t, withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k', auth_url: 'not a url' }] }), 'CONFIG_FILE /connectors/0/auth_url');
  });

  t.test('rejects a file that is not a JSON object', async (t) => {
    rejects(t, withConfigFile(t, []), 'CONFIG_FILE /');
  });

  t.test('rejects a file that is not JSON', async (t) => {
    const dir = t.testdir({ 'bridge.json': '{ connectors: [' });
    rejects(t, { PUBLIC_URL: 'https://login.example.com', CONFIG_FILE: join(dir, 'bridge.json') }, 'CONFIG_FILE', /as JSON/);
  });

  t.test('rejects a file that does not exist', async (t) => {
    rejects(t, { PUBLIC_URL: 'https://login.example.com', CONFIG_FILE: '/nonexistent/bridge.json' }, 'CONFIG_FILE');
  });

  t.test('still requires a connector and a client when the file has none', async (t) => {
    rejects(t, withConfigFile(t, {}), 'KAKAO_CLIENT_ID');
    rejects(t, withConfigFile(t, { connectors: [{ id: 'kakao', client_id: 'k' }] }), 'OIDC_CLIENT_ID');
  });
});
