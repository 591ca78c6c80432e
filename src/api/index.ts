export { createApiServer, sendError, type RouteModule } from './server.ts';
