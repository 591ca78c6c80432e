import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Service } from '../../client/index.ts';
import { applyChanges, touchesTemplate } from './apply.ts';
import { chosenRevision } from './deploy.ts';
import { parseServiceFlags } from './flags.ts';
import { exportView, serviceToKrm } from './krm.ts';
import { krmToService } from './replace.ts';

const files: Record<string, string> = { 'env.yaml': 'A: one\nB: 2\n' };
const changes = (o: Record<string, unknown>) =>
  parseServiceFlags(o, { readFile: (p) => files[p] ?? '', parseYaml: parse });

const existing: Service = {
  name: 'projects/p/locations/us-central1/services/hello',
  uid: 'u1',
  generation: '2',
  etag: 'e1',
  uri: 'http://hello',
  latestReadyRevision: 'projects/p/locations/us-central1/services/hello/revisions/hello-00002-abc',
  labels: { team: 'a' },
  template: {
    revision: 'hello-old',
    containers: [
      {
        image: 'gcr.io/p/hello',
        env: [
          { name: 'KEEP', value: '1' },
          { name: 'DROP', value: '2' },
        ],
      },
    ],
  },
  traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
};

describe('deploy flags', () => {
  it('validates values and names the flag', () => {
    expect(() => changes({ memory: 'lots' })).toThrow(/Invalid value for \[--memory\]/);
    expect(() => changes({ memory: '64Mi' })).toThrow(/between 128Mi and 32Gi/);
    expect(() => changes({ cpu: 'x' })).toThrow(/--cpu/);
    expect(() => changes({ timeout: '2h' })).toThrow(/--timeout.*out of range/);
    expect(changes({ timeout: '10m5s' }).timeoutSeconds).toBe(605);
    expect(() => changes({ concurrency: '0' })).toThrow(/--concurrency/);
    expect(() => changes({ ingress: 'public' })).toThrow(/--ingress/);
    expect(() => changes({ setEnvVars: ['A=1'], updateEnvVars: ['B=2'] })).toThrow(/cannot be used together/);
    expect(() => changes({ setEnvVars: ['PORT=1'] })).toThrow(/reserved/);
  });

  it('builds a new service from flags', () => {
    const s = applyChanges(
      undefined,
      changes({
        image: 'gcr.io/p/x',
        memory: '1Gi',
        cpu: '2',
        setEnvVars: ['A=1,B=2'],
        port: '9000',
        maxInstances: '3',
      }),
    );
    expect(s.template).toEqual({
      containers: [
        {
          image: 'gcr.io/p/x',
          resources: { limits: { memory: '1Gi', cpu: '2' } },
          env: [
            { name: 'A', value: '1' },
            { name: 'B', value: '2' },
          ],
          ports: [{ name: 'http1', containerPort: 9000 }],
        },
      ],
      scaling: { maxInstanceCount: 3 },
    });
    expect(() => applyChanges(undefined, changes({}))).toThrow(/--image/);
  });

  it('changes an existing service, dropping output-only fields', () => {
    const s = applyChanges(
      existing,
      changes({ updateEnvVars: ['NEW=x'], removeEnvVars: ['DROP'], labels: ['b=2'] }),
    );
    expect(s.uid).toBeUndefined();
    expect(s.uri).toBeUndefined();
    expect(s.etag).toBe('e1');
    expect(s.template?.revision).toBeUndefined();
    expect(s.template?.containers?.[0]?.env).toEqual([
      { name: 'KEEP', value: '1' },
      { name: 'NEW', value: 'x' },
    ]);
    expect(s.labels).toEqual({ team: 'a', b: '2' });
    const file = applyChanges(existing, changes({ envVarsFile: 'env.yaml' }));
    expect(file.template?.containers?.[0]?.env).toEqual([
      { name: 'A', value: 'one' },
      { name: 'B', value: '2' },
    ]);
  });

  it('pins traffic with --no-traffic and tags the new revision', () => {
    const s = applyChanges(existing, changes({ traffic: false, tag: 'canary' }), 'hello-00003-xyz');
    expect(s.template?.revision).toBe('hello-00003-xyz');
    expect(s.traffic).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 'hello-00002-abc', percent: 100 },
      {
        type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION',
        revision: 'hello-00003-xyz',
        percent: 0,
        tag: 'canary',
      },
    ]);
    expect(() => applyChanges(undefined, changes({ image: 'x', traffic: false }))).toThrow(/--no-traffic/);
  });

  it('round-trips through the Knative export shape', () => {
    const s: Service = {
      ...existing,
      ingress: 'INGRESS_TRAFFIC_INTERNAL_ONLY',
      template: {
        ...existing.template,
        timeout: '60s',
        maxInstanceRequestConcurrency: 10,
        scaling: { maxInstanceCount: 4 },
      },
    };
    const krm = serviceToKrm(s);
    expect(krm.status?.url).toBe('http://hello');
    const back = krmToService(exportView(krm) as Record<string, unknown>);
    expect(back.id).toBe('hello');
    expect(back.region).toBe('us-central1');
    expect(back.service.ingress).toBe('INGRESS_TRAFFIC_INTERNAL_ONLY');
    expect(back.service.template).toMatchObject({
      revision: 'hello-old',
      timeout: '60s',
      maxInstanceRequestConcurrency: 10,
      scaling: { maxInstanceCount: 4 },
      containers: [{ image: 'gcr.io/p/hello' }],
    });
    expect(back.service.labels).toEqual({ team: 'a' });
  });

  it('names a new revision itself when forced (gcloud always makes one on deploy)', () => {
    const none = changes({});
    expect(chosenRevision('hello', existing, none, false)).toBeUndefined();
    expect(chosenRevision('hello', existing, none, true)).toMatch(/^hello-00003-[a-z0-9]{3}$/);
    expect(chosenRevision('hello', undefined, none, true)).toBeUndefined();
    expect(chosenRevision('hello', existing, changes({ revisionSuffix: 'v9' }), true)).toBe('hello-v9');
    expect(touchesTemplate(none)).toBe(false);
    expect(touchesTemplate(changes({ ingress: 'all', description: 'd', labels: ['a=b'] }))).toBe(false);
    expect(touchesTemplate(changes({ memory: '512Mi' }))).toBe(true);
    expect(touchesTemplate(changes({ removeEnvVars: ['A'] }))).toBe(true);
    expect(touchesTemplate(changes({ clearEnvVars: true }))).toBe(true);
    // A service-level change keeps the template, its revision name included: no new revision.
    expect(applyChanges(existing, changes({ ingress: 'internal' })).template).toEqual(existing.template);
  });
});
