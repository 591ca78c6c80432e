import { describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { BUSYBOX_IMAGE } from '../busybox-image.ts';
import { cliEnv, runTarmac } from './run-tarmac.ts';
import { ownerClient } from './identities.ts';
import { get } from '../serving/client.ts';

const HTTPD = [
  '--command=sh',
  '--args=-c,echo "hello $GREETING" > /tmp/index.html && exec httpd -f -p $PORT -h /tmp',
];

describe('tarmac run: deploy and manage services as a user does', () => {
  it('deploys (private, then public), prints like gcloud, and every output format works', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const project = p.config.defaultProject;
    const ingress = p.listeners.ingress.port;

    const dep = await runTarmac(
      [
        'run',
        'deploy',
        'hello',
        '--image',
        BUSYBOX_IMAGE,
        ...HTTPD,
        '--set-env-vars=GREETING=one',
        '--memory=256Mi',
        '--no-allow-unauthenticated',
        '--region',
        'us-central1',
      ],
      env,
    );
    expect(dep.stderr).toContain(
      `Deploying container to Cloud Run service [hello] in project [${project}] region [us-central1]`,
    );
    expect(dep.code).toBe(0);
    expect(dep.stderr).toContain(
      'Deploying new service...\n  Creating Revision...done\n  Routing traffic...done\n  Setting IAM Policy...done\nDone.\n',
    );
    expect(dep.stderr).toMatch(
      /Service \[hello\] revision \[hello-00001-[a-z0-9]{3}\] has been deployed and is serving 100 percent of traffic\./,
    );
    const url = /Service URL: (\S+)/.exec(dep.stderr)![1]!;
    expect(url).toMatch(/^http:\/\/hello-\d{12}\.us-central1\.run\.localhost:\d+$/);
    expect((await get(url, ingress, '/')).status).toBe(403);

    // Formats: value, json, yaml, table, csv, export, default.
    const value = await runTarmac(
      ['run', 'services', 'describe', 'hello', '--format=value(status.url)'],
      env,
    );
    expect(value.stdout).toBe(`${url}\n`);
    const json = JSON.parse((await runTarmac(['run', 'services', 'list', '--format=json'], env)).stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({
      apiVersion: 'serving.knative.dev/v1',
      kind: 'Service',
      metadata: { name: 'hello' },
      status: { url },
    });
    const yaml = await runTarmac(['run', 'services', 'describe', 'hello', '--format=yaml'], env);
    expect(yaml.stdout).toContain('kind: Service\n');
    expect(yaml.stdout).toContain('latestReadyRevisionName: hello-00001-');
    const table = await runTarmac(
      ['run', 'services', 'list', '--format=table(metadata.name:label=NAME, status.url)'],
      env,
    );
    expect(table.stdout).toBe(`NAME   URL\nhello  ${url}\n`);
    const list = await runTarmac(['run', 'services', 'list'], env);
    expect(list.stdout).toMatch(
      /^ {3}SERVICE {2}REGION {7}URL {2,}LAST DEPLOYED BY {2,}LAST DEPLOYED AT\n✔ {2}hello {4}us-central1 {2}http/,
    );
    const csv = await runTarmac(
      ['run', 'revisions', 'list', '--format=csv(metadata.name,spec.containers[0].env[0].value)'],
      env,
    );
    expect(csv.stdout).toMatch(/^name,value\nhello-00001-[a-z0-9]{3},one\n$/);
    const exported = await runTarmac(['run', 'services', 'describe', 'hello', '--format=export'], env);
    expect(exported.stdout).not.toContain('status:');
    expect(exported.stdout).toContain('memory: 256Mi');
    const human = await runTarmac(['run', 'services', 'describe', 'hello'], env);
    expect(human.stdout).toContain('✔ Service hello in region us-central1');
    expect(human.stdout).toContain('  100% LATEST (currently hello-00001-');

    // Making it public adds allUsers as invoker; the proxy is not needed any more.
    const pub = await runTarmac(
      [
        'run',
        'deploy',
        'hello',
        '--image',
        BUSYBOX_IMAGE,
        '--update-env-vars=GREETING=two',
        '--allow-unauthenticated',
      ],
      env,
    );
    expect(pub.code).toBe(0);
    expect(pub.stderr).toMatch(
      /revision \[hello-00002-[a-z0-9]{3}\] has been deployed and is serving 100 percent/,
    );
    expect(await get(url, ingress, '/')).toMatchObject({ status: 200, body: 'hello two\n' });
    const policy = await ownerClient(p.paths.home).run.getIamPolicy(
      `projects/${project}/locations/us-central1/services/hello`,
    );
    expect(policy.bindings).toContainEqual({ role: 'roles/run.invoker', members: ['allUsers'] });

    // As gcloud: deploying the same image with the same settings again still makes a new revision
    // (the API alone makes none for an unchanged template); a service-level update makes none.
    const again = await runTarmac(['run', 'deploy', 'hello', '--image', BUSYBOX_IMAGE], env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /revision \[hello-00003-[a-z0-9]{3}\] has been deployed and is serving 100 percent/,
    );
    expect(await get(url, ingress, '/')).toMatchObject({ status: 200, body: 'hello two\n' });
    const ingressOnly = await runTarmac(['run', 'services', 'update', 'hello', '--ingress=all'], env);
    expect(ingressOnly.code, ingressOnly.stderr).toBe(0);
    expect(ingressOnly.stderr).toMatch(/revision \[hello-00003-[a-z0-9]{3}\] has been deployed/);
  }, 300_000);
});
