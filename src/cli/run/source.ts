import { userError, type Context } from '../core/index.ts';

/**
 * `run deploy --source DIR`: builds DIR (which needs a Dockerfile) with Cloud Build into
 * `REGION-docker.pkg.dev/PROJECT/cloud-run-source-deploy/SERVICE` and returns the image to deploy.
 */
export async function buildSource(
  _ctx: Context,
  dir: string,
  where: { service: string; project: string; region: string },
): Promise<string> {
  throw userError(
    `Building [${dir}] for service [${where.service}] needs the builds API, which this tarmac does not serve yet. Build and push the image, then deploy it with --image.`,
    'SOURCE_BUILDS_UNAVAILABLE',
    'UNIMPLEMENTED',
  );
}
