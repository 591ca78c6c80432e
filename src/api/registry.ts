import type { Iam } from '../iam/index.ts';
import { PERMISSION, collectGarbage, type Registry } from '../registry/index.ts';
import type { Db } from '../store/index.ts';
import { invalidArgument, readJson, sendJson, type Router } from '../shared/index.ts';
import type { RouteModule } from './server.ts';

export interface RegistryRoutesDeps {
  registry: Registry;
  db: Db;
  iam: Iam;
  /** GC spans every project; it is allowed to whoever may delete artifacts in the installation's default project. */
  defaultProject: string;
}

/**
 * Registry maintenance on the API listener: `POST /v1/registry:gc` with `{"dryRun", "graceSeconds"}`
 * runs mark-and-sweep in the server process (it takes the same blob locks as pushes) and answers
 * `{"blobs", "bytes", "orphans", "dryRun"}`. Used by `tarmac registry gc`.
 */
export function registryRoutes(d: RegistryRoutesDeps): RouteModule {
  return (router: Router) => {
    router.add('POST', '/v1/registry:gc', async (req, res) => {
      await d.iam.require(
        req,
        PERMISSION.delete,
        `projects/${d.iam.projects.get(d.defaultProject).projectId}`,
      );
      const body = (await readJson(req, 64 * 1024)) as { dryRun?: unknown; graceSeconds?: unknown };
      const grace = body.graceSeconds === undefined ? 3600 : Number(body.graceSeconds);
      if (!Number.isInteger(grace) || grace < 0) {
        throw invalidArgument('graceSeconds must be a non-negative integer', [
          { field: 'graceSeconds', description: '>= 0' },
        ]);
      }
      const dryRun = body.dryRun === true;
      const r = await collectGarbage(d.registry, d.db, { graceMs: grace * 1000, dryRun });
      sendJson(res, 200, { ...r, dryRun });
    });
  };
}
