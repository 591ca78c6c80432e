import { describe, expect, it } from 'vitest';
import { formatBuildTable, formatDurationColumn, parseDurationSeconds, type Build } from './build.ts';

describe('build formatting', () => {
  it('parses durations as gcloud accepts them', () => {
    expect(parseDurationSeconds('600s')).toBe(600);
    expect(parseDurationSeconds('10m')).toBe(600);
    expect(parseDurationSeconds('1h2m3s')).toBe(3723);
    expect(parseDurationSeconds('90')).toBe(90);
    expect(parseDurationSeconds('1.5s')).toBe(1.5);
    expect(parseDurationSeconds('soon')).toBeUndefined();
    expect(parseDurationSeconds('')).toBeUndefined();
  });

  it('formats the DURATION column like gcloud', () => {
    const t0 = '2021-09-01T18:47:37.000Z';
    expect(formatDurationColumn(t0, '2021-09-01T18:48:18.400Z')).toBe('41S');
    expect(formatDurationColumn(t0, '2021-09-01T18:49:07.000Z')).toBe('1M30S');
    expect(formatDurationColumn(t0, '2021-09-01T19:47:37.000Z')).toBe('1H');
    expect(formatDurationColumn(t0, t0)).toBe('0S');
    expect(formatDurationColumn(t0, undefined)).toBe('-');
  });

  it('lays out the summary table', () => {
    const b = {
      id: 'b1',
      createTime: '2021-09-01T18:47:37.123Z',
      startTime: '2021-09-01T18:47:38Z',
      finishTime: '2021-09-01T18:48:19Z',
      source: { storageSource: { bucket: 'p_cloudbuild', object: 'source/1.tgz' } },
      images: ['gcr.io/p/hello'],
      status: 'SUCCESS',
    } as Build;
    expect(formatBuildTable([b]).split('\n')).toEqual([
      'ID  CREATE_TIME                DURATION  SOURCE                          IMAGES          STATUS',
      'b1  2021-09-01T18:47:37+00:00  41S       gs://p_cloudbuild/source/1.tgz  gcr.io/p/hello  SUCCESS',
    ]);
  });
});
