import { describe, expect, it } from 'vitest';
import { parseFormat } from './projection.ts';
import { render } from './render.ts';

const svcs = [
  {
    metadata: { name: 'b-svc', labels: { env: 'prod' } },
    status: { url: 'http://b', traffic: [{ percent: 100 }] },
    ok: true,
  },
  {
    metadata: { name: 'a-svc' },
    status: { url: 'http://a', traffic: [{ percent: 60 }, { percent: 40 }] },
    ok: false,
  },
];

describe('format', () => {
  it('parses gcloud format strings', () => {
    expect(parseFormat('table[no-heading](metadata.name:label=SERVICE:sort=1, status.url)')).toMatchObject({
      name: 'table',
      attrs: { 'no-heading': true },
      keys: [
        { path: ['metadata', 'name'], label: 'SERVICE', sort: 1 },
        { path: ['status', 'url'], label: 'URL' },
      ],
    });
    expect(parseFormat('value(spec.template.spec.containers[0].image)').keys[0]!.path).toEqual([
      'spec',
      'template',
      'spec',
      'containers',
      0,
      'image',
    ]);
    expect(parseFormat('table(status.latestReadyRevisionName)').keys[0]!.label).toBe(
      'LATEST_READY_REVISION_NAME',
    );
    expect(() => parseFormat('xml')).toThrow(/unknown format \[xml\]/);
    expect(() => parseFormat('table(a:bogus=1)')).toThrow(/unknown key attribute/);
  });

  it('renders tables as gcloud lays them out', () => {
    const text = render(svcs, { format: 'table(metadata.name:label=SERVICE:sort=1, status.url, ok)' });
    expect(text).toBe('SERVICE  URL       OK\na-svc    http://a  False\nb-svc    http://b  True\n');
    expect(render(svcs, { format: 'table[no-heading](metadata.name)' })).toBe('b-svc\na-svc\n');
  });

  it('renders value, csv, json, yaml, flattened and transforms', () => {
    expect(render(svcs, { format: 'value(metadata.name,status.traffic.percent)' })).toBe(
      'b-svc\t100\na-svc\t60;40\n',
    );
    expect(render(svcs[0], { format: 'value(status.url)' })).toBe('http://b\n');
    expect(render(svcs, { format: 'value[separator=","](metadata.name,metadata.labels)' })).toBe(
      'b-svc,env=prod\na-svc,\n',
    );
    expect(render(svcs, { format: 'csv(metadata.name,status.url)' })).toBe(
      'name,url\nb-svc,http://b\na-svc,http://a\n',
    );
    expect(JSON.parse(render(svcs[0], { format: 'json' }))).toEqual(svcs[0]);
    expect(JSON.parse(render(svcs, { format: 'json(metadata.name)' }))).toEqual([
      { metadata: { name: 'b-svc' } },
      { metadata: { name: 'a-svc' } },
    ]);
    expect(render(svcs, { format: 'yaml(metadata.name)' })).toBe(
      'metadata:\n  name: b-svc\n---\nmetadata:\n  name: a-svc\n',
    );
    expect(render(svcs[0], { format: 'flattened(metadata.name)' })).toBe('metadata.name: b-svc\n');
    expect(render(svcs, { format: 'value(status.url.basename(), status.traffic.len())' })).toBe(
      'b\t1\na\t2\n',
    );
    expect(render({ name: 'projects/p/locations/l/services/s' }, { format: 'value(name.segment(-1))' })).toBe(
      's\n',
    );
  });

  it('uses the command default and the export view', () => {
    expect(render(svcs, { defaultFormat: 'value(metadata.name)' })).toBe('b-svc\na-svc\n');
    expect(render(svcs, { format: 'default', defaultFormat: () => 'custom\n' })).toBe('custom\n');
    expect(
      render(svcs[0], {
        format: 'export',
        exportView: (x) => ({ name: (x as (typeof svcs)[0]).metadata.name }),
      }),
    ).toBe('name: b-svc\n');
    expect(render([], { format: 'table(a)' })).toBe('');
    expect(render([], { format: 'json' })).toBe('[]\n');
  });
});
