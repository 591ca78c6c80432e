export { createApiServer, sendError, type RouteModule } from './server.ts';
export { cloudBuildRoutes, type CloudBuildRoutesOptions } from './cloudbuild.ts';
export { iamRoutes } from './iam-routes.ts';
export { schedulerRoutes } from './scheduler.ts';
export { loggingRoutes } from './logging.ts';
