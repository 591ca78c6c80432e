import type { Platform } from '../src/platform.ts';
import { apiCall, defaultProject } from './auth.ts';
import { BUSYBOX_IMAGE } from './busybox-image.ts';

const REGION = 'us-central1';

/**
 * An hourly cron schedule at the minute `30 + offset` minutes from now: a job created with it on a
 * platform with the real clock never fires by itself during a test (one that runs every five minutes
 * fires whenever a test happens to span such a boundary). Whole-hour time zones keep the minute.
 */
export function quietSchedule(offset = 0): string {
  return `${(new Date().getUTCMinutes() + 30 + offset) % 60} * * * *`;
}

/** An execution as the history lists it (the fields these tests read). */
export interface Execution {
  httpStatusCode?: number;
  status: { status: string };
}

/** A private tarmac service that only one service account may invoke, and a job to call it. */
export interface PrivateTarget {
  projectId: string;
  revision: string;
  /** The service URL (SERVICE-NUMBER.REGION.run.localhost:PORT). */
  url: string;
  /** The service's resource name, for IAM bindings. */
  resource: string;
  /** The service account holding roles/run.invoker on the service. */
  sa: string;
  /** The job's resource name (created by `createJob`). */
  job: string;
  /** Creates the job (schedule once a year: it only runs when told to) with this HTTP target. */
  createJob(httpTarget: Record<string, unknown>): Promise<void>;
  /** Runs the job now and waits until the history holds `n` executions; returns the newest. */
  runAndWait(n: number): Promise<Execution>;
}

/**
 * Deploys `command` (busybox, httpd on $PORT) as a one-revision service with the given ingress,
 * creates a service account holding roles/run.invoker on it, and names a job in the default project.
 */
export async function privateTarget(
  p: Platform,
  o: { service: string; command: string[]; ingress: 'all' | 'internal'; account: string; jobId: string },
): Promise<PrivateTarget> {
  const { projectId, projectNumber } = defaultProject(p);
  const revision = `${o.service}-00001-abc`;
  const ready = await p.serving.ensureRevision({
    name: revision,
    service: o.service,
    project: projectId,
    projectNumber,
    region: REGION,
    image: BUSYBOX_IMAGE,
    command: o.command,
    env: [],
    containerPort: 8080,
    memoryBytes: 64 * 1024 * 1024,
    cpu: 1,
    timeoutSeconds: 30,
    concurrency: 10,
    minInstances: 0,
    maxInstances: 1,
    serviceAccountEmail: p.iam.defaultServiceAccount(projectId),
  });
  if (!('ready' in ready) || !ready.ready) throw new Error(`revision not ready: ${JSON.stringify(ready)}`);
  p.serving.setRoutes({
    project: projectId,
    projectNumber,
    region: REGION,
    service: o.service,
    routes: [{ revision, percent: 100 }],
    ingress: o.ingress,
    invokerIamDisabled: false,
    customAudiences: [],
  });
  const url = p.serving.serviceUrl({ number: projectNumber }, REGION, o.service);
  const resource = `projects/${projectId}/locations/${REGION}/services/${o.service}`;
  const sa = p.iam.serviceAccounts.create(p.iam.projects.get(projectId), o.account).email;
  p.iam.addBinding(resource, 'roles/run.invoker', `serviceAccount:${sa}`);
  const parent = `projects/${projectId}/locations/${REGION}`;
  const job = `${parent}/jobs/${o.jobId}`;
  return {
    projectId,
    revision,
    url,
    resource,
    sa,
    job,
    async createJob(httpTarget) {
      const r = await apiCall(p, 'POST', `/v1/${parent}/jobs`, {
        name: job,
        schedule: '0 0 1 1 *',
        httpTarget,
      });
      if (r.status !== 200) throw new Error(`job not created: ${r.status} ${JSON.stringify(r.json)}`);
    },
    async runAndWait(n) {
      await apiCall(p, 'POST', `/v1/${job}:run`, {});
      for (let i = 0; i < 600; i++) {
        await p.scheduler.loop.idle();
        const h = (await apiCall(p, 'GET', `/v1/${job}/executions`)).json as { executions?: Execution[] };
        if ((h.executions?.length ?? 0) >= n) return h.executions![0]!;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no execution ${n} recorded`);
    },
  };
}
