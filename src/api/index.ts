export { createApiServer, sendError, type RouteModule } from './server.ts';
export { cloudBuildRoutes, type CloudBuildRoutesOptions } from './cloudbuild.ts';
export { iamRoutes } from './iam-routes.ts';
export { loggingRoutes } from './logging.ts';
