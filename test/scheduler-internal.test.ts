import { describe, expect, it } from 'vitest';
import { INTERNAL_MARKER_HEADER } from '../src/model/index.ts';
import { defaultProject, ownerHeaders } from './auth.ts';
import { BUSYBOX_IMAGE } from './busybox-image.ts';
import { usePlatform } from './harness.ts';
import { get } from './serving/client.ts';

const REGION = 'us-central1';

// The app answers 500 when the internal marker reached it (the ingress must strip it), else 200.
const APP = [
  'mkdir -p /w/cgi-bin',
  `printf '%s\\n' '#!/bin/sh' 'if [ -n "$HTTP_X_TARMAC_INTERNAL" ]; then printf "HTTP/1.0 500 Leaked\\r\\n\\r\\nleaked"; else printf "Content-Type: text/plain\\r\\n\\r\\nok"; fi' > /w/cgi-bin/tick`,
  'chmod +x /w/cgi-bin/tick',
  'exec httpd -f -p "$PORT" -h /w',
].join('; ');

describe('scheduler calls to tarmac services are internal traffic (real engine, ingress internal)', () => {
  it(
    'reaches an ingress=internal service scaled to zero; outsiders and forged markers get 404',
    { timeout: 180_000 },
    async () => {
      const p = await usePlatform({ config: { serving: { idleTimeoutSeconds: 1 } } });
      const { projectId, projectNumber } = defaultProject(p);
      const service = 'cron-internal';
      const revision = `${service}-00001-int`;
      const ready = await p.serving.ensureRevision({
        name: revision,
        service,
        project: projectId,
        projectNumber,
        region: REGION,
        image: BUSYBOX_IMAGE,
        command: ['sh', '-c', APP],
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
        ingress: 'internal',
        invokerIamDisabled: false,
        customAudiences: [],
      });
      const url = p.serving.serviceUrl({ number: projectNumber }, REGION, service);
      const resource = `projects/${projectId}/locations/${REGION}/services/${service}`;
      const sa = p.iam.serviceAccounts.create(p.iam.projects.get(projectId), 'cron-internal').email;
      p.iam.addBinding(resource, 'roles/run.invoker', `serviceAccount:${sa}`);
      const ingressPort = Number(new URL(p.urls.ingress).port);

      // From outside, even with a valid token and a forged marker, an internal service is not there.
      const token = await p.iam.idToken(sa, url, { includeEmail: true });
      for (const marker of [undefined, 'forged', '']) {
        const r = await get(url, ingressPort, '/cgi-bin/tick', {
          headers: {
            authorization: `Bearer ${token}`,
            ...(marker === undefined ? {} : { [INTERNAL_MARKER_HEADER]: marker }),
          },
        });
        expect(r.status).toBe(404);
      }

      const counts = (): number => {
        const c = p.serving.instanceCounts(revision);
        return c.starting + c.ready + c.draining;
      };
      const end = Date.now() + 30_000;
      while (counts() > 0) {
        if (Date.now() > end) throw new Error('the service did not scale to zero');
        await new Promise((r) => setTimeout(r, 200));
      }

      const api = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
        const res = await fetch(`${p.urls.api}/v1/${path}`, {
          method,
          headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return (await res.json()) as Record<string, unknown>;
      };
      const job = `projects/${projectId}/locations/${REGION}/jobs/call-internal`;
      await api('POST', `projects/${projectId}/locations/${REGION}/jobs`, {
        name: job,
        schedule: '0 0 1 1 *',
        httpTarget: {
          uri: `${url}/cgi-bin/tick`,
          httpMethod: 'GET',
          headers: { [INTERNAL_MARKER_HEADER]: 'user-set' },
          oidcToken: { serviceAccountEmail: sa, audience: url },
        },
      });
      await api('POST', `${job}:run`, {});
      let last: { httpStatusCode?: number; status: { status: string } } | undefined;
      for (let i = 0; i < 600 && !last; i++) {
        await p.scheduler.loop.idle();
        const h = (await api('GET', `${job}/executions`)) as { executions?: (typeof last)[] };
        last = h.executions?.[0];
        if (!last) await new Promise((r) => setTimeout(r, 50));
      }
      // 200: it got through ingress=internal, woke the service, and the marker never reached the app.
      expect(last).toMatchObject({ httpStatusCode: 200, status: { status: 'OK' } });
      expect(p.serving.systemLogs(revision).join('\n')).toContain('idle; shutting down');
    },
  );
});
