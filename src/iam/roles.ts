/**
 * Predefined roles and the permissions each grants, named as Google names them. Broader roles are
 * built from narrower ones so a permission added to run.developer also reaches editor and owner.
 */
const RUN_READ = [
  'run.services.get',
  'run.services.list',
  'run.revisions.get',
  'run.revisions.list',
  'run.operations.get',
  'run.operations.list',
  'run.locations.list',
  'run.configurations.get',
  'run.configurations.list',
  'run.routes.get',
  'run.routes.list',
  'run.services.getIamPolicy',
];
const RUN_WRITE = [
  'run.services.create',
  'run.services.update',
  'run.services.delete',
  'run.revisions.delete',
  'run.operations.delete',
];
const RUN_IAM_WRITE = ['run.services.setIamPolicy'];
const INVOKE = ['run.routes.invoke'];

const IAM_SA_READ = [
  'iam.serviceAccounts.get',
  'iam.serviceAccounts.list',
  'iam.serviceAccounts.getIamPolicy',
  'iam.serviceAccountKeys.get',
  'iam.serviceAccountKeys.list',
  'iam.roles.get',
  'iam.roles.list',
];
const IAM_SA_WRITE = [
  'iam.serviceAccounts.create',
  'iam.serviceAccounts.update',
  'iam.serviceAccounts.delete',
  'iam.serviceAccounts.disable',
  'iam.serviceAccounts.enable',
  'iam.serviceAccountKeys.create',
  'iam.serviceAccountKeys.delete',
  'iam.serviceAccountKeys.disable',
  'iam.serviceAccountKeys.enable',
];
const ACT_AS = ['iam.serviceAccounts.actAs', 'iam.serviceAccounts.get', 'iam.serviceAccounts.list'];
const TOKEN_CREATOR = [
  'iam.serviceAccounts.getAccessToken',
  'iam.serviceAccounts.getOpenIdToken',
  'iam.serviceAccounts.implicitDelegation',
  'iam.serviceAccounts.signBlob',
  'iam.serviceAccounts.signJwt',
  'iam.serviceAccounts.get',
];

const PROJECT_READ = ['resourcemanager.projects.get', 'resourcemanager.projects.getIamPolicy'];
const PROJECT_IAM_WRITE = ['resourcemanager.projects.setIamPolicy'];
const PROJECT_WRITE = ['resourcemanager.projects.update', 'resourcemanager.projects.delete'];

const SCHEDULER_READ = [
  'cloudscheduler.jobs.get',
  'cloudscheduler.jobs.list',
  'cloudscheduler.locations.get',
  'cloudscheduler.locations.list',
];
const SCHEDULER_WRITE = [
  'cloudscheduler.jobs.create',
  'cloudscheduler.jobs.update',
  'cloudscheduler.jobs.delete',
  'cloudscheduler.jobs.pause',
  'cloudscheduler.jobs.resume',
  'cloudscheduler.jobs.run',
  'cloudscheduler.jobs.enable',
  'cloudscheduler.jobs.fullView',
];

const BUILD_READ = ['cloudbuild.builds.get', 'cloudbuild.builds.list'];
const BUILD_WRITE = ['cloudbuild.builds.create', 'cloudbuild.builds.update'];

const AR_READ = [
  'artifactregistry.repositories.downloadArtifacts',
  'artifactregistry.repositories.get',
  'artifactregistry.repositories.list',
  'artifactregistry.repositories.listEffectiveTags',
  'artifactregistry.dockerimages.get',
  'artifactregistry.dockerimages.list',
  'artifactregistry.files.get',
  'artifactregistry.files.list',
  'artifactregistry.packages.get',
  'artifactregistry.packages.list',
  'artifactregistry.tags.get',
  'artifactregistry.tags.list',
  'artifactregistry.versions.get',
  'artifactregistry.versions.list',
  'artifactregistry.locations.get',
  'artifactregistry.locations.list',
];
const AR_WRITE = [
  'artifactregistry.repositories.uploadArtifacts',
  'artifactregistry.repositories.createOnPush',
  'artifactregistry.tags.create',
  'artifactregistry.tags.update',
];
const AR_ADMIN = [
  'artifactregistry.repositories.create',
  'artifactregistry.repositories.update',
  'artifactregistry.repositories.delete',
  'artifactregistry.repositories.deleteArtifacts',
  'artifactregistry.tags.delete',
  'artifactregistry.versions.delete',
];

const OBSERVE = ['logging.logEntries.list', 'monitoring.timeSeries.list'];

const VIEWER = [
  ...PROJECT_READ,
  ...OBSERVE,
  ...RUN_READ,
  ...IAM_SA_READ,
  ...SCHEDULER_READ,
  ...BUILD_READ,
  ...AR_READ,
];
const EDITOR = [
  ...VIEWER,
  ...RUN_WRITE,
  ...INVOKE,
  ...IAM_SA_WRITE,
  'iam.serviceAccounts.actAs',
  ...SCHEDULER_WRITE,
  ...BUILD_WRITE,
  ...AR_WRITE,
  ...AR_ADMIN,
  ...PROJECT_WRITE,
];
const OWNER = [
  ...EDITOR,
  ...PROJECT_IAM_WRITE,
  ...RUN_IAM_WRITE,
  'iam.serviceAccounts.setIamPolicy',
  ...TOKEN_CREATOR,
];

export interface RoleDef {
  name: string;
  title: string;
  description: string;
  includedPermissions: readonly string[];
}

function role(name: string, title: string, description: string, perms: string[]): RoleDef {
  return { name, title, description, includedPermissions: Object.freeze([...new Set(perms)].sort()) };
}

/** Every predefined role by name (`roles/...`). */
export const PREDEFINED_ROLES: ReadonlyMap<string, RoleDef> = new Map(
  [
    role('roles/owner', 'Owner', 'Full access to all resources, including IAM policies.', OWNER),
    role('roles/editor', 'Editor', 'Edit access to all resources.', EDITOR),
    role('roles/viewer', 'Viewer', 'Read access to all resources.', VIEWER),
    role('roles/run.admin', 'Cloud Run Admin', 'Full control over Cloud Run resources.', [
      ...RUN_READ,
      ...RUN_WRITE,
      ...RUN_IAM_WRITE,
      ...INVOKE,
      ...PROJECT_READ.slice(0, 1),
    ]),
    role('roles/run.developer', 'Cloud Run Developer', 'Read and write access to Cloud Run resources.', [
      ...RUN_READ,
      ...RUN_WRITE,
      ...PROJECT_READ.slice(0, 1),
    ]),
    role('roles/run.viewer', 'Cloud Run Viewer', 'Read access to Cloud Run resources.', [
      ...RUN_READ,
      ...PROJECT_READ.slice(0, 1),
    ]),
    role('roles/run.invoker', 'Cloud Run Invoker', 'Invoke Cloud Run services.', INVOKE),
    role(
      'roles/iam.serviceAccountUser',
      'Service Account User',
      'Run operations as the service account.',
      ACT_AS,
    ),
    role(
      'roles/iam.serviceAccountTokenCreator',
      'Service Account Token Creator',
      'Impersonate service accounts: create OAuth2 access tokens and OpenID Connect ID tokens.',
      TOKEN_CREATOR,
    ),
    role('roles/iam.serviceAccountAdmin', 'Service Account Admin', 'Create and manage service accounts.', [
      ...IAM_SA_READ,
      ...IAM_SA_WRITE.filter((p) => !p.startsWith('iam.serviceAccountKeys.')),
      'iam.serviceAccounts.setIamPolicy',
    ]),
    role(
      'roles/iam.serviceAccountKeyAdmin',
      'Service Account Key Admin',
      'Create and manage service account keys.',
      [
        'iam.serviceAccounts.get',
        'iam.serviceAccounts.list',
        ...IAM_SA_WRITE.filter((p) => p.startsWith('iam.serviceAccountKeys.')),
        'iam.serviceAccountKeys.get',
        'iam.serviceAccountKeys.list',
      ],
    ),
    role('roles/cloudscheduler.admin', 'Cloud Scheduler Admin', 'Full access to Cloud Scheduler jobs.', [
      ...SCHEDULER_READ,
      ...SCHEDULER_WRITE,
    ]),
    role(
      'roles/cloudscheduler.viewer',
      'Cloud Scheduler Viewer',
      'Read access to Cloud Scheduler jobs.',
      SCHEDULER_READ,
    ),
    role('roles/cloudbuild.builds.editor', 'Cloud Build Editor', 'Create and cancel builds.', [
      ...BUILD_READ,
      ...BUILD_WRITE,
    ]),
    role('roles/cloudbuild.builds.viewer', 'Cloud Build Viewer', 'Read access to builds.', BUILD_READ),
    role(
      'roles/artifactregistry.reader',
      'Artifact Registry Reader',
      'Read and download artifacts.',
      AR_READ,
    ),
    role('roles/artifactregistry.writer', 'Artifact Registry Writer', 'Read and write artifacts.', [
      ...AR_READ,
      ...AR_WRITE,
    ]),
    role(
      'roles/artifactregistry.admin',
      'Artifact Registry Administrator',
      'Manage repositories and artifacts.',
      [...AR_READ, ...AR_WRITE, ...AR_ADMIN],
    ),
  ].map((r) => [r.name, r] as const),
);

/** The permissions a role grants; empty for unknown roles. */
export function permissionsOf(roleName: string): readonly string[] {
  return PREDEFINED_ROLES.get(roleName)?.includedPermissions ?? [];
}

export function isKnownRole(roleName: string): boolean {
  return PREDEFINED_ROLES.has(roleName);
}
