import { describe, expect, it } from 'vitest';
import { planFromSteps, tagBuildStep } from './plan.ts';

describe('planFromSteps', () => {
  it('reads the step gcloud generates for --tag', () => {
    const tag = 'us-central1-docker.pkg.dev/p/repo/app';
    expect(planFromSteps([tagBuildStep(tag, true)], [tag])).toEqual({
      tags: [tag],
      dockerfile: 'Dockerfile',
      noCache: true,
      buildArgs: {},
      images: [tag],
    });
  });

  it('accepts -f, --build-arg and --tag=', () => {
    const plan = planFromSteps(
      [
        {
          name: 'gcr.io/cloud-builders/docker',
          args: ['build', '--tag=gcr.io/p/a', '-f', 'Dockerfile.prod', '--build-arg', 'X=1', '.'],
        },
      ],
      [],
    );
    expect(plan).toMatchObject({
      tags: ['gcr.io/p/a'],
      dockerfile: 'Dockerfile.prod',
      buildArgs: { X: '1' },
    });
  });

  it('rejects what it cannot run', () => {
    const bad = (steps: { name: string; args: string[] }[], images: string[] = []): string | undefined => {
      try {
        planFromSteps(steps, images);
      } catch (e) {
        return (e as { reason: string }).reason;
      }
      return undefined;
    };
    expect(bad([])).toBe('UNSUPPORTED_STEP');
    expect(bad([{ name: 'gcr.io/cloud-builders/gcloud', args: ['version'] }])).toBe('UNSUPPORTED_STEP');
    expect(bad([{ name: 'gcr.io/cloud-builders/docker', args: ['build', '.'] }])).toBe('UNSUPPORTED_STEP');
    expect(bad([{ name: 'gcr.io/cloud-builders/docker', args: ['build', '--squash', '-t', 'x', '.'] }])).toBe(
      'UNSUPPORTED_STEP',
    );
    expect(bad([tagBuildStep('gcr.io/p/a', false)], ['gcr.io/p/b'])).toBe('IMAGE_NOT_BUILT');
  });
});
