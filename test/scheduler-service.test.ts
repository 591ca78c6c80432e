import { describe, expect, it } from 'vitest';
import { defaultProject, ownerHeaders } from './auth.ts';
import { BUSYBOX_IMAGE } from './busybox-image.ts';
import { usePlatform } from './harness.ts';

const REGION = 'us-central1';

describe('a scheduler job calling a private tarmac service (real engine, ingress, invoker check)', () => {
  it(
    'gets in with the job service account token; with the role removed the history records 403',
    { timeout: 180_000 },
    async () => {
      const p = await usePlatform();
      const { projectId, projectNumber } = defaultProject(p);
      const service = 'cron-target';
      const revision = `${service}-00001-abc`;
      const ready = await p.serving.ensureRevision({
        name: revision,
        service,
        project: projectId,
        projectNumber,
        region: REGION,
        image: BUSYBOX_IMAGE,
        command: [
          'sh',
          '-c',
          'mkdir -p /w && echo scheduled > /w/index.html && exec httpd -f -p "$PORT" -h /w',
        ],
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
      expect(ready).toEqual({ ready: true });
      p.serving.setRoutes({
        project: projectId,
        projectNumber,
        region: REGION,
        service,
        routes: [{ revision, percent: 100 }],
        ingress: 'all',
        invokerIamDisabled: false,
        customAudiences: [],
      });
      const url = p.serving.serviceUrl({ number: projectNumber }, REGION, service);
      const resource = `projects/${projectId}/locations/${REGION}/services/${service}`;
      const sa = p.iam.serviceAccounts.create(p.iam.projects.get(projectId), 'cron-caller').email;
      p.iam.addBinding(resource, 'roles/run.invoker', `serviceAccount:${sa}`);

      const job = `projects/${projectId}/locations/${REGION}/jobs/call-private`;
      const api = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
        const res = await fetch(`${p.urls.api}/v1/${path}`, {
          method,
          headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return (await res.json()) as Record<string, unknown>;
      };
      await api('POST', `projects/${projectId}/locations/${REGION}/jobs`, {
        name: job,
        schedule: '0 0 1 1 *',
        httpTarget: { uri: url, httpMethod: 'GET', oidcToken: { serviceAccountEmail: sa } },
      });
      const runOnce = async (n: number): Promise<{ httpStatusCode?: number; status: { status: string } }> => {
        await api('POST', `${job}:run`, {});
        for (let i = 0; i < 400; i++) {
          await p.scheduler.loop.idle();
          const h = (await api('GET', `${job}/executions`)) as {
            executions: { httpStatusCode?: number; status: { status: string } }[];
          };
          if (h.executions.length >= n) return h.executions[0]!;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error('no execution recorded');
      };
      expect(await runOnce(1)).toMatchObject({ httpStatusCode: 200, status: { status: 'OK' } });
      p.iam.removeBinding(resource, 'roles/run.invoker', `serviceAccount:${sa}`);
      expect(await runOnce(2)).toMatchObject({
        httpStatusCode: 403,
        status: { status: 'PERMISSION_DENIED' },
      });
      expect(((await api('GET', job)) as { status: { code: number } }).status.code).toBe(7);
    },
  );
});
