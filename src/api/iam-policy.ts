import type { IncomingMessage } from 'node:http';
import type { Iam } from '../iam/index.ts';
import { readJson, sendJson, type Router } from '../shared/index.ts';
import { asObject, stringList } from './iam-util.ts';

export interface PolicySurface {
  /** Regex source matching the resource part of the path, e.g. `/v1/projects/(?<project>[^/:]+)`. */
  path: string;
  resource: (params: Record<string, string>) => string;
  getPermission: string;
  setPermission: string;
  /** Checked before answering (e.g. the resource exists). */
  exists?: (params: Record<string, string>) => void;
}

/** Adds :getIamPolicy, :setIamPolicy and :testIamPermissions (POST, as IAM v1 and Resource Manager do). */
export function addPolicyMethods(router: Router, iam: Iam, s: PolicySurface): void {
  const get = async (req: IncomingMessage, p: Record<string, string>): Promise<unknown> => {
    await iam.require(req, s.getPermission, s.resource(p));
    s.exists?.(p);
    return iam.getResourcePolicy(s.resource(p));
  };
  router.add('POST', new RegExp(`^${s.path}:getIamPolicy$`), async (req, res, p) =>
    sendJson(res, 200, await get(req, p)),
  );
  router.add('GET', new RegExp(`^${s.path}:getIamPolicy$`), async (req, res, p) =>
    sendJson(res, 200, await get(req, p)),
  );
  router.add('POST', new RegExp(`^${s.path}:setIamPolicy$`), async (req, res, p) => {
    await iam.require(req, s.setPermission, s.resource(p));
    s.exists?.(p);
    const body = asObject(await readJson(req));
    sendJson(res, 200, iam.setResourcePolicy(s.resource(p), body.policy));
  });
  router.add('POST', new RegExp(`^${s.path}:testIamPermissions$`), async (req, res, p) => {
    const principal = await iam.principal(req);
    const body = asObject(await readJson(req));
    const held = iam.testIamPermissions(
      principal,
      s.resource(p),
      stringList(body.permissions, 'permissions'),
    );
    sendJson(res, 200, held.length > 0 ? { permissions: held } : {});
  });
}
