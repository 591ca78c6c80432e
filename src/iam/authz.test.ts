import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../model/index.ts';
import { saPrincipal, userPrincipal } from './authn.ts';
import { PREDEFINED_ROLES } from './roles.ts';
import type { Iam } from './service.ts';
import { makeIam } from './test-fixture.ts';

let iam: Iam;
let dispose: () => Promise<void>;
let number: string;
beforeAll(async () => {
  ({ iam, dispose } = await makeIam());
  number = iam.projects.get('tarmac-project').projectNumber;
});
afterAll(() => dispose());

const P = 'projects/tarmac-project';
const SVC = `${P}/locations/us-central1/services/hello`;

/** What each role must grant (on the project) and must not. */
const EXPECT: Record<string, { grants: string[]; denies: string[] }> = {
  'roles/owner': {
    grants: [
      'resourcemanager.projects.setIamPolicy',
      'run.services.setIamPolicy',
      'iam.serviceAccounts.actAs',
      'run.routes.invoke',
      'iam.serviceAccounts.getOpenIdToken',
    ],
    denies: [],
  },
  'roles/editor': {
    grants: [
      'run.services.create',
      'run.routes.invoke',
      'iam.serviceAccounts.create',
      'iam.serviceAccounts.actAs',
      'cloudscheduler.jobs.create',
      'cloudbuild.builds.create',
      'artifactregistry.repositories.uploadArtifacts',
    ],
    denies: [
      'resourcemanager.projects.setIamPolicy',
      'run.services.setIamPolicy',
      'iam.serviceAccounts.getAccessToken',
    ],
  },
  'roles/viewer': {
    grants: [
      'run.services.get',
      'run.services.list',
      'iam.serviceAccounts.list',
      'cloudscheduler.jobs.get',
      'cloudbuild.builds.list',
      'artifactregistry.repositories.downloadArtifacts',
    ],
    denies: [
      'run.services.create',
      'run.routes.invoke',
      'iam.serviceAccounts.actAs',
      'cloudbuild.builds.create',
      'artifactregistry.repositories.uploadArtifacts',
    ],
  },
  'roles/run.admin': {
    grants: [
      'run.services.create',
      'run.services.delete',
      'run.services.setIamPolicy',
      'run.routes.invoke',
      'run.revisions.delete',
    ],
    denies: [
      'iam.serviceAccounts.actAs',
      'cloudscheduler.jobs.create',
      'resourcemanager.projects.setIamPolicy',
    ],
  },
  'roles/run.developer': {
    grants: ['run.services.create', 'run.services.update', 'run.services.getIamPolicy', 'run.revisions.list'],
    denies: ['run.services.setIamPolicy', 'run.routes.invoke', 'iam.serviceAccounts.actAs'],
  },
  'roles/run.invoker': { grants: ['run.routes.invoke'], denies: ['run.services.get', 'run.services.create'] },
  'roles/iam.serviceAccountUser': {
    grants: ['iam.serviceAccounts.actAs', 'iam.serviceAccounts.get'],
    denies: ['iam.serviceAccounts.getAccessToken', 'iam.serviceAccounts.create'],
  },
  'roles/iam.serviceAccountTokenCreator': {
    grants: [
      'iam.serviceAccounts.getAccessToken',
      'iam.serviceAccounts.getOpenIdToken',
      'iam.serviceAccounts.signJwt',
    ],
    denies: ['iam.serviceAccounts.actAs', 'iam.serviceAccounts.create'],
  },
  'roles/cloudscheduler.admin': {
    grants: [
      'cloudscheduler.jobs.create',
      'cloudscheduler.jobs.run',
      'cloudscheduler.jobs.pause',
      'cloudscheduler.jobs.delete',
    ],
    denies: ['run.services.get', 'iam.serviceAccounts.actAs'],
  },
  'roles/cloudbuild.builds.editor': {
    grants: [
      'cloudbuild.builds.create',
      'cloudbuild.builds.get',
      'cloudbuild.builds.list',
      'cloudbuild.builds.update',
    ],
    denies: ['run.services.create', 'artifactregistry.repositories.uploadArtifacts'],
  },
  'roles/artifactregistry.reader': {
    grants: ['artifactregistry.repositories.downloadArtifacts', 'artifactregistry.repositories.list'],
    denies: ['artifactregistry.repositories.uploadArtifacts', 'artifactregistry.repositories.delete'],
  },
  'roles/artifactregistry.writer': {
    grants: [
      'artifactregistry.repositories.downloadArtifacts',
      'artifactregistry.repositories.uploadArtifacts',
    ],
    denies: ['artifactregistry.repositories.delete', 'run.services.create'],
  },
};

describe('predefined roles', () => {
  it.each(Object.entries(EXPECT))(
    '%s grants what it should and nothing it should not',
    (role, { grants, denies }) => {
      expect(PREDEFINED_ROLES.has(role)).toBe(true);
      const who = userPrincipal(`${role.replace(/\W/g, '-')}@example.com`);
      iam.addBinding(P, role, who.member);
      for (const perm of grants) expect(iam.authz.holds(who, perm, SVC), `${role} ${perm}`).toBe(true);
      for (const perm of denies) expect(iam.authz.holds(who, perm, SVC), `${role} ${perm}`).toBe(false);
    },
  );
});

describe('policy evaluation', () => {
  it('inherits from the project, accepts the project number, and is scoped to the resource', async () => {
    const u = userPrincipal('scoped@example.com');
    iam.addBinding(SVC, 'roles/run.invoker', u.member);
    expect(
      iam.authz.holds(u, 'run.routes.invoke', `projects/${number}/locations/us-central1/services/hello`),
    ).toBe(true);
    expect(iam.authz.holds(u, 'run.routes.invoke', `${P}/locations/us-central1/services/other`)).toBe(false);
    await expect(iam.authorize(u, 'run.services.get', SVC)).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      reason: 'IAM_PERMISSION_DENIED',
    });
    expect(iam.testIamPermissions(u, SVC, ['run.routes.invoke', 'run.services.get'])).toEqual([
      'run.routes.invoke',
    ]);
  });

  it('needs actAs on a service account to deploy as it, granted on the account or the project', async () => {
    const project = iam.projects.get('tarmac-project');
    const sa = iam.serviceAccounts.create(project, 'deploy-as').email;
    const dev = userPrincipal('deployer@example.com');
    await expect(iam.checkActAs(dev, sa)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    iam.addBinding(`projects/-/serviceAccounts/${sa}`, 'roles/iam.serviceAccountUser', dev.member);
    expect((await iam.checkActAs(dev, sa)).email).toBe(sa);
    const other = iam.serviceAccounts.create(project, 'deploy-other').email;
    await expect(iam.checkActAs(dev, other)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('handles allUsers, allAuthenticatedUsers and domain members', () => {
    const res = `${P}/locations/us-central1/services/pub`;
    iam.addBinding(res, 'roles/run.invoker', 'allAuthenticatedUsers');
    expect(iam.authz.holds(ANONYMOUS, 'run.routes.invoke', res)).toBe(false);
    expect(iam.authz.holds(saPrincipal('x@y.iam.gserviceaccount.com'), 'run.routes.invoke', res)).toBe(true);
    iam.addBinding(res, 'roles/run.invoker', 'allUsers');
    expect(iam.authz.holds(ANONYMOUS, 'run.routes.invoke', res)).toBe(true);
    iam.addBinding(P, 'roles/viewer', 'domain:corp.example');
    expect(iam.authz.holds(userPrincipal('a@corp.example'), 'run.services.get', res)).toBe(true);
    expect(iam.authz.holds(userPrincipal('a@evilcorp.example'), 'run.services.get', res)).toBe(false);
  });

  it('authenticates API tokens, access tokens and API-audience ID tokens; rejects the rest', async () => {
    const owner = await iam.authenticate(`Bearer ${iam.ownerCredentials.token}`);
    expect(owner.member).toBe('user:owner@tarmac.localhost');
    expect(await iam.authenticate(undefined)).toBe(ANONYMOUS);
    const sa = iam.defaultServiceAccount('tarmac-project');
    const at = await iam.accessToken(sa, ['x']);
    expect((await iam.authenticate(`Bearer ${at.token}`)).email).toBe(sa);
    const apiId = await iam.idToken(sa, iam.issuer);
    expect((await iam.authenticate(`bearer ${apiId}`)).email).toBe(sa);
    const serviceId = await iam.idToken(sa, 'http://some-service');
    await expect(iam.authenticate(`Bearer ${serviceId}`)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_WRONG_AUDIENCE',
    });
    await expect(iam.authenticate('Bearer tarmac_nope')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(iam.authenticate('Basic abc')).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_MALFORMED',
    });
  });
});
