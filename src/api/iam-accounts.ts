import type { IncomingMessage, ServerResponse } from 'node:http';
import { accountNotFound, type Iam, type ServiceAccount } from '../iam/index.ts';
import { invalidArgument, readJson, sendJson, type Router } from '../shared/index.ts';
import { asObject, page, query } from './iam-util.ts';

const SA = '(?<project>[^/]+)/serviceAccounts/(?<sa>[^/:]+)';

/** Finds the account a path names; NOT_FOUND when absent or in another project. */
function lookup(iam: Iam, project: string, ref: string): ServiceAccount {
  const sa = iam.serviceAccounts.get(ref);
  if (project !== '-') {
    const p = iam.projects.find(project);
    if (!p || p.projectId !== sa.projectId) throw accountNotFound(ref);
  }
  return sa;
}

const resourceOf = (p: Record<string, string>): string => `projects/${p.project}/serviceAccounts/${p.sa}`;

/** Checks a permission on the account named by the path, then returns the account. */
async function guarded(
  iam: Iam,
  req: IncomingMessage,
  p: Record<string, string>,
  permission: string,
): Promise<ServiceAccount> {
  await iam.require(req, permission, resourceOf(p));
  return lookup(iam, p.project!, p.sa!);
}

function fields(body: Record<string, unknown>): { displayName?: string; description?: string } {
  const out: { displayName?: string; description?: string } = {};
  for (const k of ['displayName', 'description'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw invalidArgument(`serviceAccount.${k} must be a string`);
    out[k] = v;
  }
  return out;
}

/** IAM v1 service accounts: create/get/list/patch/update/delete/disable/enable. */
export function accountRoutes(iam: Iam): (router: Router) => void {
  return (router) => {
    router.add('POST', /^\/v1\/projects\/(?<project>[^/:]+)\/serviceAccounts$/, async (req, res, p) => {
      await iam.require(req, 'iam.serviceAccounts.create', `projects/${p.project}`);
      const project = iam.projects.get(p.project!);
      const body = asObject(await readJson(req));
      if (typeof body.accountId !== 'string') {
        throw invalidArgument('accountId is required', [{ field: 'accountId', description: 'required' }]);
      }
      const sa = iam.serviceAccounts.create(
        project,
        body.accountId,
        fields(asObject(body.serviceAccount ?? {})),
      );
      sendJson(res, 200, sa);
    });
    router.add('GET', /^\/v1\/projects\/(?<project>[^/:]+)\/serviceAccounts$/, async (req, res, p) => {
      await iam.require(req, 'iam.serviceAccounts.list', `projects/${p.project}`);
      const project = iam.projects.get(p.project!);
      const { items, nextPageToken } = page(iam.serviceAccounts.list(project.projectId), req);
      sendJson(res, 200, { accounts: items, ...(nextPageToken ? { nextPageToken } : {}) });
    });
    router.add('GET', new RegExp(`^/v1/projects/${SA}$`), async (req, res, p) => {
      sendJson(res, 200, await guarded(iam, req, p, 'iam.serviceAccounts.get'));
    });
    const update = async (
      req: IncomingMessage,
      res: ServerResponse,
      p: Record<string, string>,
    ): Promise<void> => {
      const sa = await guarded(iam, req, p, 'iam.serviceAccounts.update');
      const body = asObject(await readJson(req));
      const patch = req.method === 'PATCH' ? asObject(body.serviceAccount ?? {}) : body;
      const mask =
        req.method === 'PATCH' ? String(body.updateMask ?? query(req).get('updateMask') ?? '') : '';
      let f = fields(patch);
      if (mask !== '') {
        const allowed = mask.split(',').map((s) => s.trim());
        for (const m of allowed) {
          if (m !== 'displayName' && m !== 'description')
            throw invalidArgument(`updateMask path ${m} is not supported`);
        }
        f = Object.fromEntries(Object.entries(f).filter(([k]) => allowed.includes(k)));
      }
      sendJson(res, 200, iam.serviceAccounts.update(sa.email, f));
    };
    router.add('PATCH', new RegExp(`^/v1/projects/${SA}$`), update);
    router.add('PUT', new RegExp(`^/v1/projects/${SA}$`), update);
    router.add('DELETE', new RegExp(`^/v1/projects/${SA}$`), async (req, res, p) => {
      const sa = await guarded(iam, req, p, 'iam.serviceAccounts.delete');
      iam.serviceAccounts.delete(sa.email);
      iam.deleteResourcePolicy(sa.name);
      sendJson(res, 200, {});
    });
    for (const verb of ['disable', 'enable'] as const) {
      router.add('POST', new RegExp(`^/v1/projects/${SA}:${verb}$`), async (req, res, p) => {
        const sa = await guarded(iam, req, p, `iam.serviceAccounts.${verb}`);
        iam.serviceAccounts.setDisabled(sa.email, verb === 'disable');
        sendJson(res, 200, {});
      });
    }
  };
}

export { guarded, lookup, SA };
