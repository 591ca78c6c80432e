import type { Iam } from '../iam/index.ts';
import type { RouteModule } from './server.ts';
import { oauthRoutes } from './oauth.ts';

/** Every identity surface on the API listener: OAuth2/OIDC, IAM v1, IAM Credentials, project policies. */
export function iamRoutes(iam: Iam): RouteModule {
  const modules = [oauthRoutes(iam)];
  return (router) => {
    for (const m of modules) m(router);
  };
}
