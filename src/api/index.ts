export { createApiServer, sendError, type RouteModule } from './server.ts';
export { iamRoutes } from './iam-routes.ts';
export { schedulerRoutes } from './scheduler.ts';
