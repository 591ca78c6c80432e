import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { get } from '../serving/client.ts';
import { defaultProject } from '../auth.ts';
import { testEngine } from '../engine.ts';
import { cliEnv, sh } from './run-tarmac.ts';

const dirs: string[] = [];
const images: string[] = [];
afterEach(async () => {
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  const engine = await testEngine();
  for (const i of images.splice(0)) await engine.removeImage(i, true).catch(() => undefined);
});

describe("a user's notes, run as written (gcloud replaced by tarmac)", () => {
  it('builds submit, run deploy, run deploy --no-allow-unauthenticated: the three commands as written', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const { projectId, projectNumber } = defaultProject(p);
    const ingress = p.listeners.ingress.port;
    const dir = mkdtempSync(join(tmpdir(), 'tarmac-notes-'));
    dirs.push(dir);
    cpSync(join(import.meta.dirname, '..', 'fixtures', 'metadata-caller'), dir, { recursive: true });

    // The three commands, verbatim (REGION/PROJECT_ID/IMAGE_NAME/SERVICE filled in).
    const build = await sh(
      `tarmac builds submit --region=us-central1 --tag gcr.io/${projectId}/app`,
      env,
      dir,
    );
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/ SUCCESS\n$/);
    const caller = await sh(`tarmac run deploy caller --image gcr.io/${projectId}/app`, env);
    expect(caller.code, caller.stderr + caller.stdout).toBe(0);
    expect(caller.stderr).toContain(
      `Deploying container to Cloud Run service [caller] in project [${projectId}] region [us-central1]`,
    );
    expect(caller.stderr).toMatch(
      /revision \[caller-00001-[a-z0-9]{3}\] has been deployed and is serving 100 percent/,
    );
    // Not on a terminal: no prompt, no spinner characters.
    expect(caller.stderr).not.toMatch(/Allow unauthenticated|[⠋⠙⠹|/\\-]\r/);
    const target = await sh(
      `tarmac run deploy target --image gcr.io/${projectId}/app --no-allow-unauthenticated --region us-central1`,
      env,
    );
    expect(target.code, target.stderr).toBe(0);
    const targetUrl = /Service URL: (\S+)/.exec(target.stderr)![1]!;
    const callerUrl = /Service URL: (\S+)/.exec(caller.stderr)![1]!;
    expect(targetUrl).toBe(`http://target-${projectNumber}.us-central1.run.localhost:${ingress}`);

    expect((await get(targetUrl, ingress, '/')).status).toBe(403);
    expect(await get(callerUrl, ingress, '/')).toMatchObject({ status: 403 });
    for (const s of ['caller', 'target'])
      expect((await sh(`tarmac run services delete ${s} --quiet`, env)).code).toBe(0);
  }, 600_000);
});
