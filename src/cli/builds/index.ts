import type { Command } from 'commander';
import { defineCommand, userError, type Context } from '../core/index.ts';
import { formatBuildTable } from '../../model/index.ts';
import { submitBuild } from './submit.ts';

const location = (ctx: Context): string => ctx.flags.region ?? 'global';

/** `tarmac builds ...`: submit, list, describe, cancel, log (gcloud builds). */
export function register(group: Command): void {
  group.description('Create and manage builds (Cloud Build) on tarmac.');
  defineCommand(group, {
    name: 'submit [SOURCE]',
    summary: 'Submit a build of a folder with a Dockerfile',
    description:
      'Packs SOURCE (default: the current folder) honouring .gcloudignore, uploads it, builds the Dockerfile ' +
      'and pushes the image given by --tag to the built-in registry, streaming the build log.',
    examples: [
      'tarmac builds submit --tag gcr.io/my-project/hello .',
      'tarmac builds submit app/ --tag us-central1-docker.pkg.dev/my-project/repo/app --async',
    ],
    run: async (ctx, [source], opts) => {
      if (typeof opts.tag !== 'string') throw userError('Missing required argument [--tag].', 'TAG_REQUIRED');
      const b = await submitBuild(ctx, {
        dir: source ?? '.',
        tag: opts.tag,
        location: ctx.flags.region,
        timeout: opts.timeout as string | undefined,
        async: Boolean(opts.async),
        noCache: Boolean(opts.cache === false),
        ignoreFile: opts.ignoreFile as string | undefined,
        streamLog: !opts.suppressLogs,
      });
      if (opts.async) ctx.print(b, { defaultFormat: () => `${formatBuildTable([b])}\n` });
    },
  })
    .option('--tag <IMAGE>', 'the image to build and push (gcr.io/P/NAME, REGION-docker.pkg.dev/P/REPO/NAME)')
    .option('--timeout <DURATION>', 'maximum build duration, e.g. 600s or 10m (default 10m)')
    .option('--async', 'return right after the build is created')
    .option('--no-cache', 'build without the engine layer cache')
    .option('--suppress-logs', 'do not stream the build log')
    .option('--ignore-file <FILE>', 'use FILE instead of .gcloudignore');

  defineCommand(group, {
    name: 'list',
    summary: 'List builds, newest first',
    examples: ['tarmac builds list --filter=status=FAILURE --limit=5'],
    // --filter, --sort-by and --limit are the framework's list flags, applied on the client as gcloud does.
    run: async (ctx) => {
      const builds = await ctx.client().builds.list(ctx.project(), { location: location(ctx) });
      ctx.print(builds, {
        list: true,
        defaultFormat: (shown) => `${formatBuildTable(shown as typeof builds)}\n`,
      });
    },
  });

  defineCommand(group, {
    name: 'describe <BUILD>',
    summary: 'Show a build',
    run: async (ctx, [id]) => {
      ctx.print(await ctx.client().builds.get(ctx.project(), id!, location(ctx)), { defaultFormat: 'yaml' });
    },
  });

  defineCommand(group, {
    name: 'cancel <BUILD...>',
    summary: 'Cancel queued or running builds',
    run: async (ctx, ids) => {
      for (const id of ids) {
        const b = await ctx.client().builds.cancel(ctx.project(), id, location(ctx));
        ctx.status(
          `Cancelled [${ctx.client().http.endpoint}/v1/projects/${ctx.project()}/builds/${b.id ?? id}].`,
        );
      }
    },
  });

  defineCommand(group, {
    name: 'log <BUILD>',
    summary: "Print a build's log",
    run: async (ctx, [id], opts) => {
      const chunks = await ctx.client().builds.log(ctx.project(), id!, {
        location: location(ctx),
        follow: Boolean(opts.stream),
      });
      for await (const c of chunks) ctx.io.stdout.write(c);
    },
  }).option('--stream', 'keep printing until the build ends');
}
