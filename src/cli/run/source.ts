import { userError, type Context } from '../core/index.ts';
import { sourceDeployImage, submitBuild } from '../builds/submit.ts';

/**
 * `run deploy --source DIR`: builds DIR (which needs a Dockerfile) with Cloud Build into
 * `REGION-docker.pkg.dev/PROJECT/cloud-run-source-deploy/SERVICE` and returns the image to deploy.
 */
export async function buildSource(
  ctx: Context,
  dir: string,
  where: { service: string; project: string; region: string },
): Promise<string> {
  const image = sourceDeployImage(where.project, where.region, where.service);
  try {
    await submitBuild(ctx, { dir, tag: image, location: where.region, table: false });
  } catch (e) {
    if ((e as { reason?: string }).reason === 'DOCKERFILE_REQUIRED') {
      throw userError(
        `[${dir}] has no Dockerfile: tarmac builds sources from a Dockerfile (there are no buildpacks here).`,
        'DOCKERFILE_REQUIRED',
      );
    }
    throw e;
  }
  return image;
}
