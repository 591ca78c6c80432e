import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Gaxios } from 'gaxios';
import { GoogleAuth, type IdTokenClient } from 'google-auth-library';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/shared/index.ts';
import type { KeyFile } from '../src/iam/index.ts';
import type { Platform } from '../src/platform.ts';
import { apiCall, defaultProject, ownerHeaders, ownerToken } from './auth.ts';
import { BUSYBOX_IMAGE } from './busybox-image.ts';
import { usePlatform } from './harness.ts';
import { get, type Reply } from './serving/client.ts';

type GoogleAuthTransporter = ConstructorParameters<typeof GoogleAuth>[0] extends infer O
  ? O extends { clientOptions?: { transporter?: infer T } }
    ? T
    : never
  : never;

// A private service whose CGI prints the credential headers it was given.
const HEADERS_CGI = [
  '#!/bin/sh',
  'printf "Content-Type: text/plain\\r\\n\\r\\n"',
  'echo "authorization=$HTTP_AUTHORIZATION"',
  'echo "serverless=$HTTP_X_SERVERLESS_AUTHORIZATION"',
].join('\n');
const SCRIPT = `mkdir -p /www/cgi-bin && cat > /www/cgi-bin/h <<'EOF'\n${HEADERS_CGI}\nEOF\nchmod +x /www/cgi-bin/h && httpd -f -p $PORT -h /www & trap "kill $!; exit 0" TERM; wait`;

/** A request through the ingress to the private service's CGI, with the given credential headers. */
const viaIngress = (p: Platform, url: string, headers: Record<string, string>): Promise<Reply> =>
  get(url, p.listeners.ingress.port, '/cgi-bin/h', { headers });

/** google-auth-library on a tarmac key file (its token request goes to the key file's token_uri). */
function googleAuth(keyFile: KeyFile): GoogleAuth {
  const transporter = new Gaxios() as unknown as NonNullable<GoogleAuthTransporter>;
  transporter.interceptors.request.add({
    resolved: async (cfg) => {
      if (String(cfg.url) === 'https://oauth2.googleapis.com/token') cfg.url = new URL(keyFile.token_uri);
      return cfg;
    },
  });
  return new GoogleAuth({ credentials: keyFile, clientOptions: { transporter } });
}

/** Every file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? [join(dir, e.name), ...filesUnder(join(dir, e.name))] : [join(dir, e.name)],
  );
}

describe('identity hardening (real engine)', () => {
  it('google-auth-library key file -> ID token -> private service; the forwarded token cannot be replayed; nothing secret is logged; keys at rest are 0600', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    });
    const p = await usePlatform({ logger: createLogger('trace', sink) });
    const { projectId } = defaultProject(p);
    const parent = `/v2/projects/${projectId}/locations/us-central1`;
    const op = await apiCall(p, 'POST', `${parent}/services?serviceId=headers`, {
      template: { containers: [{ image: BUSYBOX_IMAGE, command: ['sh', '-c', SCRIPT] }] },
    });
    expect(op.status, JSON.stringify(op.json)).toBe(200);
    const done = await apiCall(p, 'POST', `/v2/${(op.json as { name: string }).name}:wait`, {
      timeout: '120s',
    });
    const url = (done.json as { response: { uri: string } }).response.uri;

    // A key file from the IAM API, used by Google's own library against tarmac's token endpoint.
    const sa = await apiCall(p, 'POST', `/v1/projects/${projectId}/serviceAccounts`, { accountId: 'caller' });
    const email = (sa.json as { email: string }).email;
    const key = await apiCall(p, 'POST', `/v1/projects/-/serviceAccounts/${email}/keys`, {});
    const keyData = (key.json as { privateKeyData: string }).privateKeyData;
    const keyFile = JSON.parse(Buffer.from(keyData, 'base64').toString()) as KeyFile;
    const auth = googleAuth(keyFile);
    const client = (await auth.getIdTokenClient(url)) as IdTokenClient;
    const headers: Record<string, string> = {};
    (await client.getRequestHeaders(url)).forEach((v, k) => (headers[k] = v));
    const idToken = headers.authorization!.replace(/^Bearer /, '');

    expect((await viaIngress(p, url, headers)).status).toBe(403);
    await apiCall(p, 'POST', `${parent}/services/headers:setIamPolicy`, {
      policy: { bindings: [{ role: 'roles/run.invoker', members: [`serviceAccount:${email}`] }] },
    });
    await expect.poll(async () => (await viaIngress(p, url, headers)).status).toBe(200);
    const seen = (await viaIngress(p, url, headers)).body;
    // As Cloud Run: the container sees the token, but not its signature.
    const forwarded = /^authorization=Bearer (\S+)$/m.exec(seen)![1]!;
    const [h, c, s] = forwarded.split('.');
    expect(`${h}.${c}`).toBe(idToken.split('.').slice(0, 2).join('.'));
    expect(s).toBe('SIGNATURE_REMOVED_BY_GOOGLE');
    // Replayed against tarmac it is worthless: 401 at the ingress and at the API.
    const replay = { authorization: `Bearer ${forwarded}` };
    expect((await viaIngress(p, url, replay)).status).toBe(401);
    const api = await fetch(`${p.urls.api}${parent}/services`, {
      headers: replay,
    });
    expect(api.status).toBe(401);
    // X-Serverless-Authorization carries the checked token (stripped); Authorization passes untouched.
    const both = await viaIngress(p, url, {
      'x-serverless-authorization': headers.authorization!,
      authorization: 'Bearer app-own-credential',
    });
    expect(both.status).toBe(200);
    expect(both.body).toContain('authorization=Bearer app-own-credential\n');
    expect(both.body).toMatch(/^serverless=Bearer [\w-]+\.[\w-]+\.SIGNATURE_REMOVED_BY_GOOGLE$/m);

    // A system-managed key exists once the account signs something (signBlob).
    const signed = await fetch(`${p.urls.api}/v1/projects/-/serviceAccounts/${email}:signBlob`, {
      method: 'POST',
      headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
      body: JSON.stringify({ payload: 'aGVsbG8=' }),
    });
    expect(signed.status).toBe(200);

    // Key material at rest: the keys folder tree 0700/0600, the owner credentials 0600.
    const keyPaths = filesUnder(p.paths.keys);
    expect(keyPaths.filter((f) => f.endsWith('.pem')).length).toBeGreaterThanOrEqual(2);
    for (const f of [p.paths.keys, ...keyPaths]) {
      const st = statSync(f);
      expect((st.mode & 0o777).toString(8), f).toBe(st.isDirectory() ? '700' : '600');
    }
    expect((statSync(p.paths.credentials).mode & 0o777).toString(8)).toBe('600');

    // Nothing secret in the logs (trace level): tokens, key material, the owner's credential.
    // Also the stored log entries (request logs, container output, system events) of the project.
    const entries = await apiCall(p, 'POST', '/v2/entries:list', {
      resourceNames: [`projects/${projectId}`],
      pageSize: 1000,
    });
    expect((entries.json as { entries: unknown[] }).entries.length).toBeGreaterThan(3);
    await p.dispose();
    logged += JSON.stringify(entries.json);
    expect(logged).toContain('headers');
    const pemBody = keyFile.private_key.split('\n')[1]!;
    const secrets = {
      idToken,
      idTokenSignature: idToken.split('.')[2]!,
      ownerToken: ownerToken(p),
      privateKey: pemBody,
      keyData: keyData.slice(0, 64),
    };
    for (const f of keyPaths.filter((x) => x.endsWith('.pem')))
      Object.assign(secrets, { [f]: readFileSync(f, 'utf8').split('\n')[1]! });
    for (const [what, value] of Object.entries(secrets)) expect(logged.includes(value), what).toBe(false);
  });

  it('lists, gets and deletes user-managed keys; a deleted key no longer gets tokens', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const sa = await apiCall(p, 'POST', `/v1/projects/${projectId}/serviceAccounts`, {
      accountId: 'keyed-account',
    });
    const email = (sa.json as { email: string }).email;
    const created = await apiCall(p, 'POST', `/v1/projects/-/serviceAccounts/${email}/keys`, {});
    const { name, privateKeyData } = created.json as { name: string; privateKeyData: string };
    const keyFile = JSON.parse(Buffer.from(privateKeyData, 'base64').toString()) as KeyFile;
    const aud = 'https://svc.example';
    const idClient = async () =>
      (await googleAuth(keyFile).getIdTokenClient(aud)).idTokenProvider.fetchIdToken(aud);
    expect((await idClient()).split('.')).toHaveLength(3);
    const list = await apiCall(
      p,
      'GET',
      `/v1/projects/-/serviceAccounts/${email}/keys?keyTypes=USER_MANAGED`,
    );
    const keys = (list.json as { keys: Record<string, unknown>[] }).keys;
    expect(keys.map((k) => k.name)).toContain(name);
    // Listing never returns key material.
    expect(JSON.stringify(list.json)).not.toContain('PRIVATE KEY');
    for (const k of keys) expect(k.privateKeyData).toBeUndefined();
    expect((await apiCall(p, 'GET', `/v1/${name}`)).status).toBe(200);
    expect((await apiCall(p, 'DELETE', `/v1/${name}`)).status).toBe(200);
    expect((await apiCall(p, 'GET', `/v1/${name}`)).status).toBe(404);
    await expect(idClient()).rejects.toThrow(/invalid_grant|400|401/);
  });
});
