import { DOCKER_BUILDER, type BuildStep } from '../model/index.ts';
import { TarmacError } from '../shared/index.ts';

/** How the builder runs a build: one `docker build` step, then pushes of `images`. */
export interface BuildPlan {
  /** Tags as the user wrote them (gcr.io/P/N, REGION-docker.pkg.dev/P/R/N, localhost:8091/P/N). */
  tags: string[];
  dockerfile: string;
  noCache: boolean;
  buildArgs: Record<string, string>;
  /** Tags to push after the build succeeds (Build.images). */
  images: string[];
}

const unsupported = (message: string, field: string): TarmacError =>
  new TarmacError('INVALID_ARGUMENT', message, {
    reason: 'UNSUPPORTED_STEP',
    fieldViolations: [{ field, description: message }],
  });

/** The one step gcloud generates for `builds submit --tag TAG`. */
export function tagBuildStep(tag: string, noCache: boolean): BuildStep {
  const args = ['build', '--network', 'cloudbuild', ...(noCache ? ['--no-cache'] : []), '-t', tag, '.'];
  return { name: DOCKER_BUILDER, args };
}

/**
 * Reads the build request's steps: tarmac runs Dockerfile builds, so it accepts the single
 * `gcr.io/cloud-builders/docker build ...` step gcloud sends for `--tag` and rejects anything else.
 */
export function planFromSteps(steps: BuildStep[], images: string[]): BuildPlan {
  if (steps.length !== 1) throw unsupported('tarmac builds run exactly one docker build step', 'steps');
  const step = steps[0]!;
  if (step.name !== DOCKER_BUILDER && step.name !== 'docker') {
    throw unsupported(
      `unsupported builder ${JSON.stringify(step.name)}; use ${DOCKER_BUILDER}`,
      'steps[0].name',
    );
  }
  const args = [...(step.args ?? [])];
  if (args.shift() !== 'build') throw unsupported('the docker step must run "build"', 'steps[0].args');
  const plan: BuildPlan = { tags: [], dockerfile: 'Dockerfile', noCache: false, buildArgs: {}, images };
  let context: string | undefined;
  while (args.length > 0) {
    const a = args.shift()!;
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined) throw unsupported(`${flag} needs a value`, 'steps[0].args');
      return v;
    };
    if (flag === '-t' || flag === '--tag') plan.tags.push(value());
    else if (flag === '-f' || flag === '--file') plan.dockerfile = value();
    else if (flag === '--no-cache') plan.noCache = true;
    else if (flag === '--network') value();
    else if (flag === '--build-arg') {
      const kv = value();
      const eq = kv.indexOf('=');
      if (eq <= 0) throw unsupported(`--build-arg needs KEY=VALUE, got ${kv}`, 'steps[0].args');
      plan.buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
    } else if (!flag.startsWith('-') && context === undefined) context = flag;
    else throw unsupported(`unsupported docker build argument ${JSON.stringify(a)}`, 'steps[0].args');
  }
  if (context !== '.') throw unsupported('the build context must be "."', 'steps[0].args');
  if (plan.tags.length === 0) throw unsupported('the docker build step needs -t IMAGE', 'steps[0].args');
  for (const img of images) {
    if (!plan.tags.includes(img)) {
      throw new TarmacError('INVALID_ARGUMENT', `image ${img} is not built by any step`, {
        reason: 'IMAGE_NOT_BUILT',
        fieldViolations: [{ field: 'images', description: `${img} is not tagged by the build step` }],
      });
    }
  }
  return plan;
}
