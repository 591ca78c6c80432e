import { describe, expect, it } from 'vitest';
import { apiCall } from './auth.ts';
import { usePlatform } from './harness.ts';
import { privateTarget } from './scheduler-fixture.ts';

describe('a scheduler job calling a private tarmac service (real engine, ingress, invoker check)', () => {
  it(
    'gets in with the job service account token; with the role removed the history records 403',
    { timeout: 180_000 },
    async () => {
      const p = await usePlatform();
      const t = await privateTarget(p, {
        service: 'cron-target',
        command: [
          'sh',
          '-c',
          'mkdir -p /w && echo scheduled > /w/index.html && exec httpd -f -p "$PORT" -h /w',
        ],
        ingress: 'all',
        account: 'cron-caller',
        jobId: 'call-private',
      });
      await t.createJob({ uri: t.url, httpMethod: 'GET', oidcToken: { serviceAccountEmail: t.sa } });
      expect(await t.runAndWait(1)).toMatchObject({ httpStatusCode: 200, status: { status: 'OK' } });
      p.iam.removeBinding(t.resource, 'roles/run.invoker', `serviceAccount:${t.sa}`);
      expect(await t.runAndWait(2)).toMatchObject({
        httpStatusCode: 403,
        status: { status: 'PERMISSION_DENIED' },
      });
      expect(
        ((await apiCall(p, 'GET', `/v1/${t.job}`)).json as { status: { code: number } }).status.code,
      ).toBe(7);
    },
  );
});
