import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Platform } from '../../src/platform.ts';
import type { Browser, Page } from 'playwright-core';
import { defaultProject, idTokenAs, ownerHeaders } from '../auth.ts';
import { usePlatform } from '../harness.ts';
import { appScript, BUSYBOX_IMAGE as BUSYBOX } from '../serving/app.ts';
import { get } from '../serving/client.ts';
import { launch, shot, unlabelled } from './browser.ts';
import { startBuild } from './build-source.ts';

const REGION = 'us-central1';

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function expectLabelled(page: Page): Promise<void> {
  expect(await unlabelled(page)).toEqual([]);
}

/**
 * The console in Debian's Chromium against a running tarmac with the real engine, one walk through
 * (one platform, one service, one browser page) to keep it lean: sign in with the owner's link,
 * create a service account, create a private service and deploy a changed revision from the forms,
 * grant run.invoker to the account, watch logs and charts fill, create an OIDC scheduler job that
 * calls the private service, force-run it and see the 200 in its history.
 */
describe('web console in Chromium', () => {
  it('walks through services, IAM, logs, charts and scheduler', { timeout: 240_000 }, async () => {
    const p = await usePlatform();
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await walk(p, page);
    } catch (e) {
      await shot(page, 'failure');
      throw e;
    } finally {
      // Closed before the platform stops, so no live log stream holds its listener open.
      await context.close();
    }
    expect(errors).toEqual([]);
  });
  it('signs the owner in with the start URL, and another user with a key file', async () => {
    const p = await usePlatform();
    const { projectId } = defaultProject(p);
    const sa = p.iam.serviceAccounts.create(p.iam.projects.get(projectId), 'console-viewer').email;
    p.iam.addBinding(`projects/${projectId}`, 'roles/run.viewer', `serviceAccount:${sa}`);
    const res = await fetch(`${p.urls.api}/v1/projects/-/serviceAccounts/${sa}/keys`, {
      method: 'POST',
      headers: { ...ownerHeaders(p), 'content-type': 'application/json' },
      body: '{}',
    });
    const keyFile = Buffer.from(((await res.json()) as { privateKeyData: string }).privateKeyData, 'base64');
    const start = p.consoleUrl();
    for (const who of ['owner-1', 'owner-2']) {
      // The start URL works more than once (any browser on the machine, while tarmac runs).
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        await page.goto(start);
        await page.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
        if (who === 'owner-1') await shot(page, '09-start-url');
      } finally {
        await context.close();
      }
    }
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    try {
      const page = await context.newPage();
      await page.goto(`${p.urls.api}/console/`);
      const credential = page.getByLabel('Access token or service account key (JSON)');
      await credential.fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      await expectLabelled(page);
      await shot(page, '10-sign-in-refused');
      await credential.fill(keyFile.toString('utf8'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
      await page.getByText('No services yet.').waitFor();
      // A viewer cannot create service accounts: the API refuses, the page says why.
      await page.getByRole('link', { name: 'IAM' }).click();
      const form = page.getByRole('form', { name: 'Create service account' });
      await form.getByLabel('Account ID').fill('not-allowed');
      await form.getByRole('button', { name: 'Create' }).click();
      await page.getByRole('alert').filter({ hasText: 'iam.serviceAccounts.create' }).first().waitFor();
      await shot(page, '11-viewer-denied');
    } finally {
      await context.close();
    }
  });
});

async function walk(p: Platform, page: Page): Promise<void> {
  const { projectId } = defaultProject(p);
  const owner = p.iam.ownerCredentials;
  const api = p.urls.api;

  // Signed in through the owner's one-time link (what `tarmac console` prints).
  const link = await fetch(`${api}/console/api/login-links`, { method: 'POST', headers: ownerHeaders(p) });
  const { path } = (await link.json()) as { path: string };
  await page.goto(`${api}${path}`);
  await page.getByRole('heading', { name: 'Services', level: 1 }).waitFor();
  // Keyboard: each page puts focus on its main region; Tab then reaches the page's first control.
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Create service');
  expect(await page.locator('a.skip').evaluate((a) => a === document.body.firstElementChild)).toBe(true);
  await shot(page, '01-services-empty');

  // IAM: create the scheduler's service account.
  await page.getByRole('link', { name: 'IAM' }).click();
  const saForm = page.getByRole('form', { name: 'Create service account' });
  await saForm.getByLabel('Account ID').fill('cron-caller');
  await saForm.getByLabel('Display name').fill('Calls the private service');
  await saForm.getByRole('button', { name: 'Create' }).click();
  const sa = `cron-caller@${projectId}.iam.gserviceaccount.com`;
  await page.getByRole('cell', { name: sa, exact: true }).waitFor();
  await expectLabelled(page);
  await shot(page, '02-iam');

  // Create a private service from the form.
  await page.getByRole('link', { name: 'Services' }).click();
  await page.getByText('Create service').click();
  const create = page.getByRole('form', { name: 'Create service' });
  await create.getByLabel('Service name').fill('hello');
  await create.getByLabel('Container image').fill(BUSYBOX);
  await create.getByLabel('Command (space separated)').fill('sh');
  await create.getByLabel('Arguments (one per line)').fill(`-c\n${appScript()}`);
  await create.getByLabel('Memory').fill('128Mi');
  await create.getByLabel('Maximum instances').fill('2');
  await expectLabelled(page);
  await create.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'hello', level: 1 }).waitFor({ timeout: 90_000 });
  await page.getByText('Status: Ready').waitFor();
  const url = await page.locator('#service-url').getAttribute('href');
  expect(url).toMatch(/^http:\/\/hello-\d{12}\.us-central1\./);
  const call = async (path: string): Promise<{ status: number; body: string }> => {
    const token = await idTokenAs(p, `user:${owner.account}`, url!);
    return get(url!, p.listeners.ingress.port, path, { headers: { authorization: `Bearer ${token}` } });
  };
  expect(await call('/')).toMatchObject({ status: 200, body: 'ok\n' });

  // Deploy a second revision with a changed setting from the service page, and see it serve.
  const deploy = page.getByRole('form', { name: 'Deploy new revision' });
  await deploy.getByLabel('Environment variables (NAME=value, one per line)').fill('GREETING=from-console');
  await deploy.getByRole('button', { name: 'Deploy' }).click();
  await page
    .getByRole('table', { name: 'Revisions' })
    .getByRole('cell', { name: /^hello-00002-/ })
    .waitFor({ timeout: 90_000 });
  expect((await call('/cgi-bin/env')).body).toContain('GREETING=from-console');

  // Grant run.invoker to the service account in the service's permissions.
  const grant = page.getByRole('form', { name: 'Add principal' });
  await grant.getByLabel('New principal').fill(`serviceAccount:${sa}`);
  await grant.getByLabel('Role').selectOption('roles/run.invoker');
  await grant.getByRole('button', { name: 'Add principal' }).click();
  await page.getByRole('cell', { name: `serviceAccount:${sa}`, exact: true }).waitFor();
  const resource = `projects/${projectId}/locations/${REGION}/services/hello`;
  const policy = await fetch(`${api}/v2/${resource}:getIamPolicy`, { headers: ownerHeaders(p) });
  expect(JSON.stringify(await policy.json())).toContain(`serviceAccount:${sa}`);

  // Logs appear live and the charts fill while requests arrive.
  for (let i = 0; i < 8; i++) {
    expect((await call(`/?live=${i}`)).status).toBe(200);
    await page.waitForTimeout(400);
  }
  await page.locator('ol.logs li', { hasText: '/?live=7' }).waitFor({ timeout: 20_000 });
  // The request-count chart has two samples or more and a non-zero value (data-peak: the largest drawn).
  const requests = page.getByRole('img', { name: /^Request count/ });
  const drawn = async (): Promise<boolean> =>
    Number(await requests.getAttribute('data-points')) >= 2 &&
    Number(await requests.getAttribute('data-peak')) > 0;
  await expect.poll(drawn, { timeout: 20_000 }).toBe(true);
  const instances = page.getByRole('img', { name: /^Instance count/ });
  expect(Number(await instances.getAttribute('data-peak'))).toBeGreaterThan(0);
  await expectLabelled(page);
  await shot(page, '03-service');

  // Scheduler: an OIDC job calling the private service as the account; force-run it.
  await page.getByRole('link', { name: 'Scheduler' }).click();
  await page.getByRole('link', { name: 'Create job' }).click();
  const job = page.getByRole('form', { name: 'Create job' });
  await job.getByLabel('Name', { exact: true }).fill('call-hello');
  await job.getByLabel('Frequency (cron)').fill('* * * * *');
  await job.getByLabel('URL', { exact: true }).fill(url!);
  await job.getByLabel('HTTP method').selectOption('GET');
  await job.getByLabel('Auth header').selectOption('oidc');
  await job.getByLabel('Service account', { exact: true }).selectOption(sa);
  await expectLabelled(page);
  await shot(page, '04-job-form');
  await job.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'Job call-hello' }).waitFor();
  await page.getByRole('button', { name: 'Force run' }).click();
  const history = page.getByRole('table', { name: 'Execution history' });
  await history.getByRole('cell', { name: 'Success' }).first().waitFor({ timeout: 30_000 });
  await expect(history.getByRole('cell', { name: '200' }).first().textContent()).resolves.toBe('200');
  await shot(page, '05-job');
  await page.getByRole('link', { name: 'Scheduler' }).click();
  await page.getByRole('cell', { name: 'call-hello' }).waitFor();
  await shot(page, '06-jobs');

  // Builds: the list, then one build's log followed live from the page until it succeeds.
  const build = await startBuild(p, 'built-for-the-console');
  await page.getByRole('link', { name: 'Builds' }).click();
  await page.getByRole('link', { name: build }).click();
  await page.getByRole('heading', { name: `Build ${build}` }).waitFor();
  const log = page.getByLabel('Build log');
  await expect.poll(() => log.textContent(), { timeout: 90_000 }).toContain('built-for-the-console');
  await expect.poll(() => page.locator('.build-status').textContent(), { timeout: 30_000 }).toBe('SUCCESS');
  await shot(page, '07-build');
  await page.getByRole('link', { name: 'Builds' }).click();
  await page.getByRole('cell', { name: 'SUCCESS' }).waitFor();
  await shot(page, '07-builds');
  // Last (no request follows it): the traffic editor on the service page.
  await page.getByRole('link', { name: 'Services' }).click();
  await page.getByRole('link', { name: 'hello', exact: true }).click();
  // Traffic editor: split between the two revisions and tag the first; the sum is checked first.
  const traffic = page.getByRole('form', { name: 'Traffic split' });
  await traffic.getByLabel('Percent for Latest ready revision').fill('0');
  await traffic.getByLabel(/^Percent for hello-00001-/).fill('30');
  await traffic.getByRole('button', { name: 'Save traffic' }).click();
  await page.getByRole('alert').filter({ hasText: 'must add up to 100%' }).waitFor();
  await traffic.getByLabel(/^Percent for hello-00002-/).fill('70');
  await traffic.getByLabel(/^Tag for hello-00001-/).fill('blue');
  await traffic.getByRole('button', { name: 'Save traffic' }).click();
  const revs = page.getByRole('table', { name: 'Revisions' });
  await revs.getByRole('cell', { name: '70%' }).waitFor();
  await revs.getByRole('cell', { name: '30%' }).waitFor();
  const svc = await fetch(`${api}/v2/projects/${projectId}/locations/${REGION}/services/hello`, {
    headers: ownerHeaders(p),
  });
  const split = ((await svc.json()) as { traffic: { percent?: number; tag?: string }[] }).traffic;
  expect(split.map((t) => [t.percent, t.tag ?? ''])).toEqual([
    [30, 'blue'],
    [70, ''],
  ]);

  await page.getByRole('link', { name: 'Services' }).click();
  await page.getByRole('cell', { name: 'hello', exact: true }).waitFor();
  await shot(page, '08-services');
}
