import type { Iam, Project } from '../iam/index.ts';
import { TarmacError, invalidArgument, readJson, sendJson, type Router } from '../shared/index.ts';
import { addPolicyMethods } from './iam-policy.ts';
import { asObject } from './iam-util.ts';

const v1 = (p: Project): Record<string, unknown> => ({
  projectNumber: p.projectNumber,
  projectId: p.projectId,
  lifecycleState: 'ACTIVE',
  name: p.displayName,
  createTime: p.createTime,
});

const v3 = (p: Project): Record<string, unknown> => ({
  name: `projects/${p.projectNumber}`,
  projectId: p.projectId,
  state: 'ACTIVE',
  displayName: p.displayName,
  createTime: p.createTime,
});

/** Cloud Resource Manager v1/v3: get/list/create projects and project IAM policies. */
export function projectRoutes(iam: Iam): (router: Router) => void {
  return (router) => {
    for (const [ver, shape] of [
      ['v1', v1],
      ['v3', v3],
    ] as const) {
      router.add('GET', new RegExp(`^/${ver}/projects/(?<project>[^/:]+)$`), async (req, res, p) => {
        await iam.require(req, 'resourcemanager.projects.get', `projects/${p.project}`);
        sendJson(res, 200, shape(iam.projects.get(p.project!)));
      });
      router.add('GET', `/${ver}/projects`, async (req, res) => {
        const principal = await iam.principal(req);
        const visible = iam.projects
          .list()
          .filter(
            (p) =>
              iam.testIamPermissions(principal, `projects/${p.projectId}`, ['resourcemanager.projects.get'])
                .length > 0,
          );
        sendJson(res, 200, { projects: visible.map(shape) });
      });
      addPolicyMethods(router, iam, {
        path: `/${ver}/projects/(?<project>[^/:]+)`,
        resource: (p) => `projects/${p.project}`,
        getPermission: 'resourcemanager.projects.getIamPolicy',
        setPermission: 'resourcemanager.projects.setIamPolicy',
        exists: (p) => void iam.projects.get(p.project!),
      });
    }
    // Creating projects is for the installation's owner (there is no organization above projects here).
    router.add('POST', '/v1/projects', async (req, res) => {
      const principal = await iam.principal(req);
      if (principal.member !== `user:${iam.ownerCredentials.account}`) {
        throw new TarmacError('PERMISSION_DENIED', "Permission 'resourcemanager.projects.create' denied.", {
          reason: 'IAM_PERMISSION_DENIED',
        });
      }
      const body = asObject(await readJson(req));
      if (typeof body.projectId !== 'string')
        throw invalidArgument('projectId is required', [{ field: 'projectId', description: 'required' }]);
      const p = iam.createProject(
        body.projectId,
        principal,
        typeof body.name === 'string' ? body.name : undefined,
      );
      sendJson(res, 200, {
        name: `operations/cp.${p.projectNumber}`,
        done: true,
        response: { '@type': 'type.googleapis.com/google.cloudresourcemanager.v1.Project', ...v1(p) },
      });
    });
  };
}
