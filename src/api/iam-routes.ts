import type { Iam } from '../iam/index.ts';
import type { RouteModule } from './server.ts';
import { oauthRoutes } from './oauth.ts';
import { accountRoutes } from './iam-accounts.ts';
import { keyRoutes } from './iam-keys.ts';
import { projectRoutes } from './iam-projects.ts';
import { credentialsRoutes } from './iam-credentials.ts';

/** Every identity surface on the API listener: OAuth2/OIDC, IAM v1, IAM Credentials, project policies. */
export function iamRoutes(iam: Iam): RouteModule {
  const modules = [
    oauthRoutes(iam),
    accountRoutes(iam),
    keyRoutes(iam),
    credentialsRoutes(iam),
    projectRoutes(iam),
  ];
  return (router) => {
    for (const m of modules) m(router);
  };
}
