export { createApiServer, sendError, type RouteModule } from './server.ts';
export { cloudBuildRoutes, type CloudBuildRoutesOptions } from './cloudbuild.ts';
export { iamRoutes } from './iam-routes.ts';
export { runV2Routes } from './run-v2.ts';
export { runV1Routes } from './run-v1.ts';
export { schedulerRoutes } from './scheduler.ts';
export { loggingRoutes } from './logging.ts';
export { registryRoutes, type RegistryRoutesDeps } from './registry.ts';
export { consoleRoutes, ConsoleSessions, loginPath } from './console.ts';
