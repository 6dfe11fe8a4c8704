import type { FastifyInstance } from 'fastify';
import type { ClientConfig, ConnectorConfig } from '../config.js';
import type { ProviderContext } from '../oidc/context.js';
import { escapeHtml, sendPage } from '../oidc/pages.js';

export type SetupPageContext = Pick<ProviderContext, 'issuer' | 'endpoints'> & {
  connectors: readonly ConnectorConfig[];
  clients: readonly ClientConfig[];
};

/** Logto's OIDC connector reads the profile from the id_token only. @see logto-connectors.md */
const oidcScope = 'openid profile email';
/** Logto's OAuth connector adds no `openid`; the claims come from /userinfo. */
const oauthScope = 'profile email';
/** name and email already have Logto's default mapping. */
const oauthProfileMap = { id: 'sub', avatar: 'picture' };

const style =
  '<style>body{max-width:56rem}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}' +
  'th,td{border:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}th{width:16rem;font-weight:600;background:#f7f7f7}' +
  'code,pre{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all;white-space:pre-wrap;margin:0}.note{color:#555}</style>';

const code = (value: string) => `<code>${escapeHtml(value)}</code>`;
const pre = (value: string) => `<pre>${escapeHtml(value)}</pre>`;
const table = (rows: [string, string][]) =>
  `<table>${rows.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td>${value}</td></tr>`).join('')}</table>`;

function connectorSection(context: SetupPageContext, connector: ConnectorConfig): string {
  return (
    `<h3>Connector ${code(connector.id)}</h3>` +
    table([
      ['Redirect URI', code(context.endpoints.callback(connector.id))],
      [
        'Client secret',
        connector.clientSecret === undefined
          ? 'not configured: leave the console’s Client secret Activation state OFF'
          : 'configured (not shown): its Activation state must be ON in the console',
      ],
      ['Consent items', connector.scopes.length === 0 ? 'as configured in the console' : code(connector.scopes.join(' '))],
    ])
  );
}

function clientSection(context: SetupPageContext, client: ClientConfig): string {
  const { endpoints, issuer } = context;
  const confidential = client.clientSecret !== undefined;
  const secret = confidential
    ? 'the secret configured for this client (never shown here)'
    : 'none: a public client (PKCE S256 required), which Logto’s connectors cannot use';
  const authMethod = confidential ? `${code('client_secret_post')} (also ${code('client_secret_basic')} or ${code('client_secret_jwt')})` : code('none');
  const customConfig: [string, string][] =
    client.connectorIds.length > 1
      ? [['Custom config (pick one connector)', client.connectorIds.map((id) => pre(JSON.stringify({ connector_id: id }))).join('')]]
      : [];
  return (
    `<h3>Client ${code(client.clientId)}</h3>` +
    `<p class="note">Registered redirect URIs: ${client.redirectUris.map(code).join(', ')}</p>` +
    `<h4>Logto: generic OIDC connector</h4>` +
    table([
      ['Authorization endpoint', code(endpoints.authorization)],
      ['Token endpoint', code(endpoints.token)],
      ['Client ID', code(client.clientId)],
      ['Client secret', secret],
      ['Scope', code(oidcScope)],
      ['ID token verification config', pre(JSON.stringify({ jwksUri: endpoints.jwks, issuer }, null, 2))],
      ['Token endpoint auth method', authMethod],
      ...customConfig,
    ]) +
    `<h4>Logto: generic OAuth connector</h4>` +
    table([
      ['Authorization endpoint', code(endpoints.authorization)],
      ['Token endpoint', code(endpoints.token)],
      ['User info endpoint', code(endpoints.userinfo)],
      ['Client ID', code(client.clientId)],
      ['Client secret', secret],
      ['Scope', code(oauthScope)],
      ['Token endpoint response type', code('json')],
      ['Profile map', pre(JSON.stringify(oauthProfileMap, null, 2))],
      ['Token endpoint auth method', authMethod],
      ...customConfig,
    ])
  );
}

/** The set-up page: the values to register in the Kakao console and paste into Logto. Never a secret. */
export function setupPageHtml(context: SetupPageContext): string {
  return (
    style +
    `<h1>kakao-oidc-bridge</h1>` +
    table([
      ['Issuer', code(context.issuer)],
      ['Discovery', code(`${context.issuer}/.well-known/openid-configuration`)],
      ['JWKS', code(context.endpoints.jwks)],
    ]) +
    `<h2>1. Kakao Developers console</h2>` +
    `<p class="note">Kakao Login → Redirect URI: register each URI below exactly as shown.</p>` +
    context.connectors.map((connector) => connectorSection(context, connector)).join('') +
    `<h2>2. Relying parties (Logto)</h2>` +
    `<p class="note">Paste these values into the connector; its callback URI must be one of the client’s redirect URIs.</p>` +
    context.clients.map((client) => clientSection(context, client)).join('') +
    `<p class="note">Turn this page off with <code>SETUP_PAGE=false</code>.</p>`
  );
}

/** `GET /`: the set-up page, rendered once (it only shows configuration). */
export function registerSetupPage(app: FastifyInstance, context: SetupPageContext): void {
  const html = setupPageHtml(context);
  app.get('/', (_request, reply) => sendPage(reply, 200, 'kakao-oidc-bridge set-up', html));
}
