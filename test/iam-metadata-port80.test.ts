import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { stopPlatform, usePlatform } from './harness.ts';
import { apiCall, defaultProject } from './auth.ts';
import { BUSYBOX_IMAGE } from './busybox-image.ts';
import type { Platform } from '../src/platform.ts';

// /cgi-bin/md?PATH fetches http://metadata.google.internal/computeMetadata/v1/PATH from inside the
// instance: port 80, the host name from the instance's /etc/hosts, no GCE_METADATA_HOST. A few
// tries: when the installation holding 127.0.0.1:80 stops, another one takes the port within 2 s.
const MD = [
  '#!/bin/sh',
  'printf "Content-Type: text/plain\\r\\n\\r\\n"',
  'h="Metadata-Flavor: ${FLAVOR:-Google}"',
  '[ "$QUERY_STRING" = "${QUERY_STRING#noflavor/}" ] || { h="X-No: flavor"; QUERY_STRING=${QUERY_STRING#noflavor/}; }',
  'for i in 1 2 3 4 5; do',
  '  out=$(wget -q -O - --header "$h" "http://metadata.google.internal/computeMetadata/v1/$QUERY_STRING" 2>&1) && { echo "$out"; exit 0; }',
  '  case "$out" in *403*) echo "refused: $out"; exit 0;; *404*) echo "not found"; exit 0;; esac',
  '  sleep 1',
  'done',
  'echo "failed: $out"',
].join('\n');
const SCRIPT = `mkdir -p /www/cgi-bin && cat > /www/cgi-bin/md <<'EOF'\n${MD}\nEOF\nchmod +x /www/cgi-bin/md && httpd -f -p $PORT -h /www & trap "kill $!; exit 0" TERM; wait`;

/** Deploys a service running as a new service account; returns its URL and the account's email. */
async function deployCaller(p: Platform, name: string): Promise<{ url: string; email: string }> {
  const { projectId } = defaultProject(p);
  const email = p.iam.serviceAccounts.create(p.iam.projects.get(projectId), `${name}-sa`).email;
  const parent = `/v2/projects/${projectId}/locations/us-central1`;
  const body = {
    template: {
      serviceAccount: email,
      containers: [{ image: BUSYBOX_IMAGE, command: ['sh', '-c', SCRIPT] }],
    },
    invokerIamDisabled: true,
  };
  const op = await apiCall(p, 'POST', `${parent}/services?serviceId=${name}`, body);
  expect(op.status, JSON.stringify(op.json)).toBe(200);
  const opName = (op.json as { name: string }).name;
  const done = await apiCall(p, 'POST', `/v2/${opName}:wait`, { timeout: '120s' });
  const res = (done.json as { response?: { uri: string }; error?: unknown }).response;
  expect(res?.uri, JSON.stringify(done.json)).toBeTruthy();
  return { url: res!.uri, email };
}

function ask(p: Platform, url: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: p.listeners.ingress.port,
        path: `/cgi-bin/md?${path}`,
        headers: { host: new URL(url).host },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body.trim()));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('metadata.google.internal on port 80 (real engine, two installations)', () => {
  it(
    'each instance gets its own identity through port 80, whichever installation holds it',
    { timeout: 150_000 },
    async () => {
      const [one, two] = await Promise.all([usePlatform(), usePlatform()]);
      for (const p of [one, two]) {
        const s = p.iam.metadataPort80!;
        // This test runs as root: the port is ours, or held by another tarmac (possibly another test run).
        expect(s.listening || s.error === 'EADDRINUSE', JSON.stringify(s)).toBe(true);
      }
      const [a, b] = await Promise.all([deployCaller(one, 'md-one'), deployCaller(two, 'md-two')]);
      expect(await ask(one, a.url, 'instance/service-accounts/default/email')).toBe(a.email);
      expect(await ask(two, b.url, 'instance/service-accounts/default/email')).toBe(b.email);
      expect(await ask(one, a.url, 'project/project-id')).toBe(defaultProject(one).projectId);
      // A token minted for this instance's account, by its own installation.
      const tok = JSON.parse(await ask(two, b.url, 'instance/service-accounts/default/token')) as {
        access_token: string;
      };
      expect((await two.iam.authenticate(`Bearer ${tok.access_token}`)).email).toBe(b.email);
      const id = await ask(
        one,
        a.url,
        'instance/service-accounts/default/identity?audience=https://x.example',
      );
      const claims = JSON.parse(Buffer.from(id.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        string
      >;
      expect(claims).toMatchObject({ aud: 'https://x.example', iss: one.urls.api });
      // Never another's: not by email in the path, not without the flavor header.
      expect(await ask(one, a.url, `instance/service-accounts/${b.email}/email`)).toBe('not found');
      expect(await ask(one, a.url, 'noflavor/instance/service-accounts/default/email')).toMatch(/refused/);

      // When the installation holding the port stops, the other takes it over and keeps answering.
      const holder = [one, two].find((p) => p.iam.metadataPort80?.listening);
      if (holder) {
        await stopPlatform(holder);
        const [rest, mine] = holder === one ? [two, b] : [one, a];
        expect(await ask(rest, mine.url, 'instance/service-accounts/default/email')).toBe(mine.email);
      }
    },
  );
});
