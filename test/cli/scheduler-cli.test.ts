import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Target } from '../../src/scheduler/target.testkit.ts';
import { SystemClock } from '../../src/shared/index.ts';
import { usePlatform } from '../harness.ts';
import { quietSchedule } from '../scheduler-fixture.ts';
import { cliEnv, runTarmac } from './run-tarmac.ts';

describe('tarmac scheduler jobs (CLI against a running tarmac)', () => {
  it(
    'creates, describes, lists, updates, pauses, resumes, runs and deletes an HTTP job',
    { timeout: 240_000 },
    async () => {
      const p = await usePlatform();
      const target = await new Target(new SystemClock()).start();
      try {
        const env = cliEnv({ TARMAC_HOME: p.paths.home });
        const sa = p.iam.serviceAccounts.create(
          p.iam.projects.get(p.config.defaultProject),
          'cli-invoker',
        ).email;
        const schedule = quietSchedule();
        const later = quietSchedule(1).replace(/\* \* \* \*$/, '9 * * 1-5');
        const bodyFile = join(p.paths.home, 'body.json');
        writeFileSync(bodyFile, '{"from":"file"}');
        const created = await runTarmac(
          [
            'scheduler',
            'jobs',
            'create',
            'http',
            'cli-job',
            `--schedule=${schedule}`,
            `--uri=${target.url}/hook`,
            '--http-method=PUT',
            '--headers=X-A=1,X-B=2',
            `--message-body-from-file=${bodyFile}`,
            `--oidc-service-account-email=${sa}`,
            `--oidc-token-audience=${target.url}`,
            '--time-zone=Europe/Berlin',
            '--attempt-deadline=2m',
            '--max-retry-attempts=3',
            '--min-backoff=10s',
            '--max-backoff=1m',
            '--max-doublings=2',
            '--max-retry-duration=5m',
            '--location=us-central1',
            '--format=json',
          ],
          env,
        );
        expect(created.stderr).toBe('');
        expect(created.code).toBe(0);
        expect(JSON.parse(created.stdout)).toMatchObject({
          name: `projects/${p.config.defaultProject}/locations/us-central1/jobs/cli-job`,
          schedule,
          timeZone: 'Europe/Berlin',
          attemptDeadline: '120s',
          retryConfig: {
            retryCount: 3,
            minBackoffDuration: '10s',
            maxBackoffDuration: '60s',
            maxDoublings: 2,
            maxRetryDuration: '300s',
          },
          httpTarget: {
            uri: `${target.url}/hook`,
            httpMethod: 'PUT',
            headers: { 'X-A': '1', 'X-B': '2' },
            body: Buffer.from('{"from":"file"}').toString('base64'),
            oidcToken: { serviceAccountEmail: sa, audience: target.url },
          },
        });
        const list = await runTarmac(
          ['scheduler', 'jobs', 'list', '--format=value(name.basename(),state)'],
          env,
        );
        expect(list.stdout).toBe('cli-job\tENABLED\n');
        const updated = await runTarmac(
          [
            'scheduler',
            'jobs',
            'update',
            'http',
            'cli-job',
            `--schedule=${later}`,
            '--remove-headers=X-A',
            '--clear-auth-token',
            '--format=json',
          ],
          env,
        );
        expect(updated.code).toBe(0);
        const u = JSON.parse(updated.stdout) as { schedule: string; httpTarget: Record<string, unknown> };
        expect(u.schedule).toBe(later);
        expect(u.httpTarget.headers).toEqual({ 'X-B': '2' });
        expect(u.httpTarget.oidcToken).toBeUndefined();
        expect((await runTarmac(['scheduler', 'jobs', 'pause', 'cli-job'], env)).stderr).toContain('paused');
        expect(
          (await runTarmac(['scheduler', 'jobs', 'describe', 'cli-job', '--format=value(state)'], env))
            .stdout,
        ).toBe('PAUSED\n');
        expect((await runTarmac(['scheduler', 'jobs', 'resume', 'cli-job'], env)).code).toBe(0);
        expect((await runTarmac(['scheduler', 'jobs', 'run', 'cli-job'], env)).code).toBe(0);
        await target.waitFor(1);
        await p.scheduler.loop.idle();
        expect(target.received[0]!.body).toBe('{"from":"file"}');
        const history = await runTarmac(['scheduler', 'jobs', 'executions', 'cli-job', '--format=json'], env);
        expect(JSON.parse(history.stdout)).toMatchObject([{ attempt: 1, manual: true, httpStatusCode: 200 }]);
        const bad = await runTarmac(
          ['scheduler', 'jobs', 'create', 'http', 'bad', '--schedule=61 * * * *', `--uri=${target.url}`],
          env,
        );
        expect(bad.code).toBe(1);
        expect(bad.stderr).toMatch(/INVALID_ARGUMENT/);
        expect((await runTarmac(['scheduler', 'jobs', 'delete', 'cli-job', '--quiet'], env)).code).toBe(0);
        expect((await runTarmac(['scheduler', 'jobs', 'describe', 'cli-job'], env)).stderr).toMatch(
          /NOT_FOUND/,
        );
      } finally {
        await target.stop();
      }
    },
  );
});
