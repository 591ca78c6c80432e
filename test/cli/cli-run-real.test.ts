import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { get } from '../serving/client.ts';
import { defaultProject } from '../auth.ts';
import { testEngine } from '../engine.ts';
import { tarDirectory } from '../../src/runtime/index.ts';
import { cliEnv, runTarmac, sh, spawnTarmac } from './run-tarmac.ts';

const IMAGE = 'localhost/tarmac-metadata-caller:test';
const dirs: string[] = [];
const images: string[] = [];
afterEach(async () => {
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  const engine = await testEngine();
  for (const i of images.splice(0)) await engine.removeImage(i, true).catch(() => undefined);
});

/** Starts `tarmac run services proxy`, resolves with its local port once it listens. */
function startProxy(service: string, env: Record<string, string>) {
  const child = spawnTarmac(['run', 'services', 'proxy', service, '--port=0'], env);
  let err = '';
  const port = new Promise<number>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+) proxies to/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.on('close', (code) => reject(new Error(`proxy exited ${code}: ${err}`)));
  });
  return { child, port, stderr: () => err };
}

/** GET http://127.0.0.1:PORT/PATH (what a browser or curl does against the proxy). */
function local(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the run group as a user drives it, against a running tarmac with the real engine', () => {
  it('proxies a private service; a container built from a Dockerfile calls another with its metadata ID token; IAM, update, traffic, revisions, filters, replace, errors', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const { projectNumber } = defaultProject(p);
    const ingress = p.listeners.ingress.port;
    const dir = mkdtempSync(join(tmpdir(), 'tarmac-notes-'));
    dirs.push(dir);
    cpSync(join(import.meta.dirname, '..', 'fixtures', 'metadata-caller'), dir, { recursive: true });
    // Built straight on the engine (a local image: no registry pull), from the fixture's Dockerfile.
    await p.engine.build({ context: tarDirectory(dir), tag: IMAGE });
    images.push(IMAGE);
    const caller = await sh(`tarmac run deploy caller --image ${IMAGE}`, env);
    expect(caller.code, caller.stderr + caller.stdout).toBe(0);
    const target = await sh(
      `tarmac run deploy target --image ${IMAGE} --no-allow-unauthenticated --region us-central1`,
      env,
    );
    expect(target.code, target.stderr).toBe(0);
    const targetUrl = /Service URL: (\S+)/.exec(target.stderr)![1]!;
    const callerUrl = /Service URL: (\S+)/.exec(caller.stderr)![1]!;

    // Both are private: no token, 403 at the ingress.
    expect((await get(callerUrl, ingress, '/')).status).toBe(403);
    expect((await get(targetUrl, ingress, '/')).status).toBe(403);

    // The proxy serves the private caller on localhost with the user's identity token.
    const proxy = startProxy('caller', env);
    try {
      const port = await proxy.port;
      expect(await local(port, '/')).toEqual({ status: 200, body: 'hello from the image\n' });

      // Inside caller: an ID token from the metadata server; its account has no run.invoker on target: 403.
      const denied = await local(port, `/cgi-bin/call?${targetUrl}`);
      expect(denied.body).toContain('token: eyJ');
      expect(denied.body).toMatch(/403/);
      expect(denied.body).not.toContain('hello from the image');

      const compute = `serviceAccount:${projectNumber}-compute@developer.gserviceaccount.com`;
      const add = await sh(
        `tarmac run services add-iam-policy-binding target --member=${compute} --role=roles/run.invoker`,
        env,
      );
      expect(add.code, add.stderr).toBe(0);
      expect(add.stderr).toContain('Updated IAM policy for service [target].');
      const allowed = await local(port, `/cgi-bin/call?${targetUrl}`);
      expect(allowed.body).toContain('hello from the image');

      const policy = await sh('tarmac run services get-iam-policy target --format=json', env);
      expect(JSON.parse(policy.stdout).bindings).toContainEqual({
        role: 'roles/run.invoker',
        members: [compute],
      });

      const remove = await sh(
        `tarmac run services remove-iam-policy-binding target --member=${compute} --role=roles/run.invoker`,
        env,
      );
      expect(remove.code, remove.stderr).toBe(0);
      expect((await local(port, `/cgi-bin/call?${targetUrl}`)).body).toMatch(/403/);
    } finally {
      proxy.child.kill('SIGTERM');
    }

    // set-iam-policy from a file: allUsers as invoker makes target public.
    const file = join(dir, 'policy.json');
    const current = JSON.parse(
      (await sh('tarmac run services get-iam-policy target --format=json', env)).stdout,
    );
    writeFileSync(
      file,
      JSON.stringify({ ...current, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] }),
    );
    const set = await runTarmac(['run', 'services', 'set-iam-policy', 'target', file, '--quiet'], env);
    expect(set.code, set.stderr).toBe(0);
    expect(await get(targetUrl, ingress, '/')).toMatchObject({ status: 200, body: 'hello from the image\n' });

    // update (a new revision), update-traffic (split, then back to latest), revisions list/describe/delete.
    const upd = await sh('tarmac run services update target --update-env-vars=MODE=two', env);
    expect(upd.code, upd.stderr).toBe(0);
    const revs = await sh(
      'tarmac run revisions list --service=target --sort-by=metadata.name --format=value(metadata.name)',
      env,
    );
    const [rev1, rev2] = revs.stdout.trim().split('\n');
    expect(rev1).toMatch(/^target-00001-/);
    expect(rev2).toMatch(/^target-00002-/);
    const split = await runTarmac(
      ['run', 'services', 'update-traffic', 'target', `--to-revisions=${rev1}=40,${rev2}=60`],
      env,
    );
    expect(split.code, split.stderr).toBe(0);
    const traffic = await sh('tarmac run services describe target --format=json', env);
    expect(JSON.parse(traffic.stdout).status.traffic).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ revisionName: rev1, percent: 40 }),
        expect.objectContaining({ revisionName: rev2, percent: 60 }),
      ]),
    );
    expect((await sh('tarmac run services update-traffic target --to-latest', env)).code).toBe(0);
    const desc = await sh(`tarmac run revisions describe ${rev2} --format=value(metadata.name)`, env);
    expect(desc.stdout).toBe(`${rev2}\n`);
    const del = await sh(`tarmac run revisions delete ${rev1} --quiet`, env);
    expect(del.code, del.stderr).toBe(0);
    expect(
      (await sh('tarmac run revisions list --service=target --format=value(metadata.name)', env)).stdout,
    ).toBe(`${rev2}\n`);

    // --filter, --sort-by, --limit on list commands.
    const names = async (flags: string): Promise<string> =>
      (await sh(`tarmac run services list --format=value(metadata.name) ${flags}`, env)).stdout;
    expect(await names('--filter=metadata.name:call*')).toBe('caller\n');
    expect(await names('--sort-by=~metadata.name')).toBe('target\ncaller\n');
    expect(await names('--sort-by=metadata.name --limit=1')).toBe('caller\n');
    expect(await names('--filter=NOT(metadata.name=caller)')).toBe('target\n');
    const badFilter = await sh('tarmac run services list --filter=(a:b', env);
    expect(badFilter.code).toBe(1);
    expect(badFilter.stderr).toMatch(
      /^ERROR: \(tarmac\.run\.services\.list\) Invalid value for \[--filter\]/,
    );

    // replace: the exported YAML, edited, sent back.
    const exported = await sh('tarmac run services describe caller --format=export', env);
    const yamlFile = join(dir, 'caller.yaml');
    const doc = parse(exported.stdout) as {
      spec: { template: { spec: { containers: { env?: { name: string; value: string }[] }[] } } };
    };
    doc.spec.template.spec.containers[0]!.env = [{ name: 'FROM_REPLACE', value: 'yes' }];
    writeFileSync(yamlFile, stringify(doc));
    const replaced = await runTarmac(['run', 'services', 'replace', yamlFile], env);
    expect(replaced.code, replaced.stderr + readFileSync(yamlFile, 'utf8')).toBe(0);
    const env2 = await sh(
      'tarmac run services describe caller --format=value(spec.template.spec.containers[0].env[0].name)',
      env,
    );
    expect(env2.stdout).toBe('FROM_REPLACE\n');

    // Usage and user errors: one line, exit 2 / 1, no stack trace.
    const unknown = await sh('tarmac run deploy caller --imag x', env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^ERROR: \(tarmac\.run\.deploy\) unrecognized arguments: --imag/);
    const memory = await sh(`tarmac run deploy caller --image ${IMAGE} --memory=lots`, env);
    expect(memory.code).toBe(1);
    expect(memory.stderr).toBe(
      'ERROR: (tarmac.run.deploy) Invalid value for [--memory]: [lots] is not a memory size: use a number with a unit, such as 512Mi or 2Gi.\n',
    );

    for (const s of ['caller', 'target'])
      expect((await sh(`tarmac run services delete ${s} --quiet`, env)).code).toBe(0);
  }, 600_000);
});
