import { rmSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { stopPlatform, tempHome, usePlatform } from './harness.ts';
import { defaultProject, ownerHeaders } from './auth.ts';
import { BUSYBOX_IMAGE } from './busybox-image.ts';
import { cliEnv, runTarmac } from './cli/run-tarmac.ts';
import type { Platform } from '../src/platform.ts';

interface Entry {
  insertId: string;
  timestamp: string;
  textPayload?: string;
  resource: { labels: { revision_name: string } };
}

async function listEntries(p: Platform, filter: string): Promise<Entry[]> {
  const res = await fetch(`${p.urls.api}/v2/entries:list`, {
    method: 'POST',
    headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceNames: [`projects/${defaultProject(p).projectId}`],
      filter,
      pageSize: 100,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries?: Entry[] }).entries ?? [];
}

describe('logs survive a tarmac restart (real engine)', () => {
  it('lines an instance printed before the restart are read after it through the API and the CLI', async () => {
    const home = tempHome();
    onTestFinished(() => rmSync(home, { recursive: true, force: true }));
    const first = await usePlatform({ home });
    const env = cliEnv({ TARMAC_HOME: home });
    const script = 'echo printed-before-restart && echo also-before >&2 && exec httpd -f -p $PORT -h /';
    const dep = await runTarmac(
      ['run', 'deploy', 'survivor', '--image', BUSYBOX_IMAGE, '--command=sh', `--args=-c,${script}`].concat([
        '--region=us-central1',
        '--no-allow-unauthenticated',
      ]),
      env,
    );
    expect(dep.code, dep.stderr).toBe(0);
    const filter = 'resource.labels.service_name="survivor" logName:"std"';
    await expect
      .poll(async () => (await listEntries(first, filter)).map((e) => e.textPayload), { timeout: 15_000 })
      .toEqual(expect.arrayContaining(['printed-before-restart', 'also-before']));
    const before = await listEntries(first, filter);
    await stopPlatform(first);

    const second = await usePlatform({ home });
    const after = await listEntries(second, filter);
    for (const e of before) expect(after).toContainEqual(e);
    const read = await runTarmac(['run', 'services', 'logs', 'read', 'survivor', '--limit=50'], env);
    expect(read.code, read.stderr).toBe(0);
    const stamp = before.find((e) => e.textPayload === 'printed-before-restart')!.timestamp;
    expect(read.stdout).toContain(`${stamp} DEFAULT printed-before-restart`);
    expect(read.stdout).toMatch(/ERROR {3}also-before$/m);
    // The retention totals came back with the rows (they live in the same database).
    const revision = before[0]!.resource.labels.revision_name;
    expect(second.telemetry.logs.usage(revision).entries).toBeGreaterThanOrEqual(before.length);
  });
});
