import { describe, expect, it } from 'vitest';
import { INTERNAL_MARKER_HEADER } from '../src/model/index.ts';
import { usePlatform } from './harness.ts';
import { privateTarget } from './scheduler-fixture.ts';
import { get } from './serving/client.ts';

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
      const t = await privateTarget(p, {
        service: 'cron-internal',
        command: ['sh', '-c', APP],
        ingress: 'internal',
        account: 'cron-internal',
        jobId: 'call-internal',
      });
      const { url, sa, revision } = t;
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

      await t.createJob({
        uri: `${url}/cgi-bin/tick`,
        httpMethod: 'GET',
        headers: { [INTERNAL_MARKER_HEADER]: 'user-set' },
        oidcToken: { serviceAccountEmail: sa, audience: url },
      });
      const last = await t.runAndWait(1);
      // 200: it got through ingress=internal, woke the service, and the marker never reached the app.
      expect(last).toMatchObject({ httpStatusCode: 200, status: { status: 'OK' } });
      expect(p.serving.systemLogs(revision).join('\n')).toContain('idle; shutting down');
    },
  );
});
