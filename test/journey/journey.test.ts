import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv } from '../cli/run-tarmac.ts';
import { testEngine, testEngineHost } from '../engine.ts';
import { trackTestImages, type ImageTracker } from '../image-cleanup.ts';
import { Cli, TarmacServer, curl, freePorts, until, type CurlResult } from './tools.ts';

/**
 * Issue #12: the whole journey from a folder of Python code to a private, scheduled, updated
 * service, exactly as docs/getting-started.md shows it: a real `tarmac serve` child process on the
 * real engine, the CLI as a child process, real curl. Steps share one tarmac, so they run in order.
 */
const REGION = 'us-central1';
let server: TarmacServer;
let cli: Cli;
let home: string;
let app: string;
let project: string;
let url: string;
let ports: { ingress: number; api: number; registry: number };
let runner: string;
let invoker: string;
let restartedAt = 0;
let images: ImageTracker | undefined;

const image = (): string => `gcr.io/${project}/hello`;
const idToken = async (): Promise<string> =>
  (
    await cli.ok([
      'auth',
      'print-identity-token',
      `--impersonate-service-account=${invoker}`,
      `--audiences=${url}`,
    ])
  ).trim();
const call = async (path: string, token?: string): Promise<CurlResult> => {
  const r = await curl([...(token ? ['-H', `Authorization: Bearer ${token}`] : []), `${url}${path}`]);
  const auth = token ? '-H "Authorization: Bearer $TOKEN" ' : '';
  cli?.note(
    `$ curl ${auth}${url}${path}\n${r.body}${r.body.endsWith('\n') ? '' : '\n'}[HTTP ${r.status}, ${r.seconds} s]\n`,
  );
  return r;
};

interface Execution {
  scheduleTime: string;
  attempt: number;
  httpStatusCode?: number;
}
const executions = async (): Promise<Execution[]> =>
  JSON.parse(
    await cli.ok([
      'scheduler',
      'jobs',
      'executions',
      'hello-every-minute',
      `--location=${REGION}`,
      '--format=json',
    ]),
  ) as Execution[];

/** The service's logs as `tarmac run services logs read` prints them. */
const logText = (): Promise<string> =>
  cli.ok(['run', 'services', 'logs', 'read', 'hello', `--region=${REGION}`, '--limit=1000']);

function installationId(dir: string): string {
  const db = new Database(join(dir, 'tarmac.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT value FROM meta WHERE key = 'installation_id'`).get() as { value: string })
      .value;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'tarmac-journey-'));
  app = mkdtempSync(join(tmpdir(), 'tarmac-journey-app-'));
  const [ingress, api, registry] = await freePorts(3);
  ports = { ingress: ingress!, api: api!, registry: registry! };
  const env = cliEnv({
    TARMAC_HOME: home,
    TARMAC_ENGINE_HOST: testEngineHost(),
    TARMAC_ENGINE_PROVISION: 'false',
    TARMAC_INGRESS_PORT: String(ports.ingress),
    TARMAC_API_PORT: String(ports.api),
    TARMAC_REGISTRY_PORT: String(ports.registry),
    TARMAC_LOG_LEVEL: 'warn',
  });
  server = new TarmacServer(env);
  await server.start();
  images = await trackTestImages({
    host: testEngineHost(),
    registryPort: ports.registry,
    owner: installationId(home),
  });
  cli = new Cli(env, app);
  project = (await cli.ok(['config', 'get', 'project'])).trim();
  runner = `runner@${project}.iam.gserviceaccount.com`;
  invoker = `invoker@${project}.iam.gserviceaccount.com`;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await images?.cleanup();
  if (process.env.TARMAC_JOURNEY_TRANSCRIPT)
    writeFileSync(process.env.TARMAC_JOURNEY_TRANSCRIPT, cli.transcript.join('\n'));
  rmSync(home, { recursive: true, force: true });
  rmSync(app, { recursive: true, force: true });
}, 120_000);

describe('the journey: from a folder of Python code to a private, scheduled, updated service', () => {
  it('1-2. builds the folder with builds submit --tag and pushes it to the registry', async () => {
    cpSync(join(import.meta.dirname, 'app'), app, { recursive: true });
    const out = await cli.ok(['builds', 'submit', `--region=${REGION}`, '--tag', image()]);
    expect(out).toMatch(/STEP 1\/\d+: FROM python:3.11-slim/);
    expect(out).toMatch(/latest: digest: sha256:[0-9a-f]{64}/);
    expect(out).toMatch(/ SUCCESS\n$/);
  }, 300_000);

  it('3. deploy --allow-unauthenticated prints a URL that curl reaches', async () => {
    const r = await cli.run([
      'run',
      'deploy',
      'hello',
      '--image',
      image(),
      '--region',
      REGION,
      '--allow-unauthenticated',
    ]);
    expect(r.code, r.stderr).toBe(0);
    url = /Service URL: (\S+)/.exec(r.stderr)![1]!;
    expect(url).toMatch(new RegExp(`^http://hello-\\d{12}\\.${REGION}\\.run\\.localhost:${ports.ingress}$`));
    const res = await call('/');
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^Hello World! v1 revision=hello-00001-/);
  }, 180_000);

  it('4. deploy --no-allow-unauthenticated removes allUsers: curl without a token gets 403', async () => {
    await cli.ok([
      'run',
      'deploy',
      'hello',
      '--image',
      image(),
      '--no-allow-unauthenticated',
      '--region',
      REGION,
    ]);
    const policy = await cli.ok([
      'run',
      'services',
      'get-iam-policy',
      'hello',
      `--region=${REGION}`,
      '--format=json',
    ]);
    expect(policy).not.toContain('allUsers');
    expect((await call('/')).status).toBe(403);
  }, 180_000);

  it('5. runs as runner; invoker gets in with an impersonated ID token; the code calls the API as runner', async () => {
    await cli.ok(['iam', 'service-accounts', 'create', 'runner', '--display-name=hello runs as this']);
    await cli.ok(['iam', 'service-accounts', 'create', 'invoker', '--display-name=calls hello']);
    await cli.ok([
      'projects',
      'add-iam-policy-binding',
      project,
      `--member=serviceAccount:${runner}`,
      '--role=roles/run.viewer',
    ]);
    await cli.ok([
      'run',
      'deploy',
      'hello',
      '--image',
      image(),
      '--service-account',
      runner,
      '--no-allow-unauthenticated',
      '--region',
      REGION,
    ]);
    await cli.ok([
      'run',
      'services',
      'add-iam-policy-binding',
      'hello',
      `--region=${REGION}`,
      `--member=serviceAccount:${invoker}`,
      '--role=roles/run.invoker',
    ]);
    expect((await call('/')).status).toBe(403);
    const token = await idToken();
    const hello = await call('/', token);
    expect(hello.status).toBe(200);
    expect(hello.body).toMatch(/^Hello World! v1 revision=hello-00003-/);
    // Inside: the metadata server's token is runner's; runner may list services (run.viewer) ...
    const listed = await call('/api?list=services', token);
    expect(listed.status, listed.body).toBe(200);
    expect(JSON.parse(listed.body)).toMatchObject({
      services: [{ name: `projects/${project}/locations/${REGION}/services/hello` }],
    });
    // ... but holds no role that lists service accounts.
    const denied = await call('/api?list=service-accounts', token);
    expect(denied.status, denied.body).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  }, 180_000);

  it('6. a scheduler job with an OIDC token POSTs to the service within about a minute', async () => {
    const created = await cli.ok([
      'scheduler',
      'jobs',
      'create',
      'http',
      'hello-every-minute',
      '--schedule=* * * * *',
      `--uri=${url}/job`,
      '--http-method=POST',
      `--oidc-service-account-email=${invoker}`,
      `--oidc-token-audience=${url}`,
      `--location=${REGION}`,
    ]);
    expect(created).toContain('state: ENABLED');
    const ok = await until('a successful execution', 90_000, async () =>
      (await executions()).find((e) => e.httpStatusCode === 200),
    );
    expect(ok.attempt).toBe(1);
    await cli.ok(['scheduler', 'jobs', 'executions', 'hello-every-minute', `--location=${REGION}`]);
    expect(await logText()).toContain('scheduled POST received by hello-00003-');
  }, 180_000);

  it('10. restart tarmac: service, URL, IAM, job and registry content are all still there', async () => {
    expect(await server.stop()).toBe(0);
    await server.start();
    restartedAt = Date.now();
    const described = await cli.ok([
      'run',
      'services',
      'describe',
      'hello',
      `--region=${REGION}`,
      '--format=value(status.url)',
    ]);
    expect(described.trim()).toBe(url);
    expect((await call('/')).status).toBe(403);
    const hello = await call('/', await idToken());
    expect(hello.status).toBe(200);
    expect(hello.body).toMatch(/^Hello World! v1/);
    const policy = await cli.ok([
      'run',
      'services',
      'get-iam-policy',
      'hello',
      `--region=${REGION}`,
      '--format=json',
    ]);
    expect(policy).toContain(`serviceAccount:${invoker}`);
    expect(
      await cli.ok([
        'scheduler',
        'jobs',
        'describe',
        'hello-every-minute',
        `--location=${REGION}`,
        '--format=value(state)',
      ]),
    ).toBe('ENABLED\n');
    const access = (await cli.ok(['auth', 'print-access-token'])).trim();
    const tags = await curl([
      '-u',
      `oauth2accesstoken:${access}`,
      `http://127.0.0.1:${ports.registry}/v2/${project}/hello/tags/list`,
    ]);
    expect(tags.status, tags.body).toBe(200);
    expect(JSON.parse(tags.body)).toEqual({ name: `${project}/hello`, tags: ['latest'] });
  }, 180_000);

  it('7. memory: over 512 MiB kills the instance, the logs say so, it keeps serving; --memory 1Gi succeeds', async () => {
    const token = await idToken();
    const oom = await call('/allocate?mib=600', token);
    expect(oom.status, oom.body).toBe(503);
    expect(oom.body).toContain('Memory limit of 512 MiB exceeded');
    expect(await logText()).toContain('Memory limit of 512 MiB exceeded');
    expect((await call('/', token)).status).toBe(200);
    await cli.ok(['run', 'deploy', 'hello', '--image', image(), '--memory', '1Gi', '--region', REGION]);
    const big = await call('/allocate?mib=600', token);
    expect(big.status, big.body).toBe(200);
    expect(big.body).toBe('allocated 600 MiB\n');
  }, 240_000);

  it('8. timeout: --timeout 5 answers 504 at 5 s; with --timeout 60 the request finishes', async () => {
    const token = await idToken();
    await cli.ok(['run', 'deploy', 'hello', '--image', image(), '--timeout', '5', '--region', REGION]);
    const cut = await call('/sleep?s=15', token);
    expect(cut.status).toBe(504);
    expect(cut.seconds).toBeGreaterThanOrEqual(4.9);
    expect(cut.seconds).toBeLessThan(8);
    await cli.ok(['run', 'deploy', 'hello', '--image', image(), '--timeout', '60', '--region', REGION]);
    const done = await call('/sleep?s=15', token);
    expect(done.status).toBe(200);
    expect(done.body).toBe('slept 15.0 s\n');
  }, 240_000);

  it('9. update: a client requesting in a loop through build + deploy sees no error; the old revision drains', async () => {
    const token = await idToken();
    const main = join(app, 'main.py');
    writeFileSync(main, readFileSync(main, 'utf8').replace('VERSION = "v1"', 'VERSION = "v2"'));
    const old = JSON.parse(
      await cli.ok(['run', 'services', 'describe', 'hello', `--region=${REGION}`, '--format=json']),
    ) as { status: { latestReadyRevisionName: string } };
    const oldRevision = old.status.latestReadyRevisionName;
    let stop = false;
    const seen: CurlResult[] = [];
    const loop = (async () => {
      const end = Date.now() + 240_000;
      while (!stop && Date.now() < end) {
        seen.push(await curl(['-H', `Authorization: Bearer ${token}`, `${url}/`]));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await cli.ok(['builds', 'submit', `--region=${REGION}`, '--tag', image()]);
    await cli.ok(['run', 'deploy', 'hello', '--image', image(), '--region', REGION]);
    await until('v2 answering', 30_000, async () => (seen.at(-1)?.body.includes(' v2 ') ? true : undefined));
    stop = true;
    await loop;
    const errors = seen.filter((r) => r.status !== 200);
    expect(errors, JSON.stringify(errors.slice(0, 3))).toEqual([]);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen[0]!.body).toContain(' v1 ');
    await until('the old revision to drain', 60_000, async () =>
      (await testEngine().list({ 'dev.tarmac.revision': oldRevision })).length === 0 ? true : undefined,
    );
    const revisions = await cli.ok([
      'run',
      'revisions',
      'list',
      `--region=${REGION}`,
      '--format=value(metadata.name)',
    ]);
    expect(revisions).toContain(oldRevision);
  }, 400_000);

  it('10 (cont.). the job fired on schedule after the restart, once per minute, no double firing', async () => {
    const after = await until('an execution after the restart', 90_000, async () => {
      const list = await executions();
      return list.some((e) => Date.parse(e.scheduleTime) > restartedAt && e.httpStatusCode === 200)
        ? list
        : undefined;
    });
    const times = after.filter((e) => e.attempt === 1).map((e) => e.scheduleTime);
    expect(new Set(times).size).toBe(times.length);
    for (const t of times) expect(new Date(t).getUTCSeconds()).toBe(0);
  }, 120_000);
});
