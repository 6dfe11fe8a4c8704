/** @logto/connector-oidc ships JavaScript only; its default export has the same shape as @logto/connector-oauth's. */
declare module '@logto/connector-oidc' {
  import type { CreateConnector, SocialConnector } from '@logto/connector-kit';

  const createOidcConnector: CreateConnector<SocialConnector>;
  export default createOidcConnector;
}
