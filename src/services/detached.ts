import type { DataPlane, RevisionReadiness } from '../model/index.ts';

/**
 * The data plane the platform uses until one is connected: desired state is stored and reconciled,
 * but every revision fails with DATA_PLANE_UNAVAILABLE, so nothing pretends to be running.
 */
export function detachedDataPlane(domain: string, ingressPort: () => number): DataPlane {
  return {
    async ensureRevision(): Promise<RevisionReadiness> {
      return {
        ready: false,
        reason: 'DATA_PLANE_UNAVAILABLE',
        message: 'No data plane is connected to this tarmac, so the revision cannot start.',
        logTail: [],
      };
    },
    async retireRevision(): Promise<void> {},
    setRoutes(): void {},
    removeRoutes(): void {},
    serviceUrl(project, region, service, tag): string {
      return `http://${tag ? `${tag}---` : ''}${service}-${project.number}.${region}.${domain}:${ingressPort()}`;
    },
  };
}
