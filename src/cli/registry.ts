import type { Command } from 'commander';
import { defineCommand, invalidFlag } from './core/index.ts';

interface GcAnswer {
  blobs: number;
  bytes: number;
  orphans: number;
  dryRun: boolean;
}

/** `tarmac registry ...`: maintenance of the built-in registry. */
export function register(group: Command): void {
  group.description('Maintain the built-in container registry.');
  defineCommand(group, {
    name: 'gc',
    summary: 'Remove blobs no image references',
    description:
      'Runs garbage collection in the server: blobs that no manifest references and that were not ' +
      'pushed, mounted or read within the grace period are deleted. Safe while pushes go on.',
    examples: ['tarmac registry gc', 'tarmac registry gc --dry-run --format=json'],
    run: async (ctx, _args, opts) => {
      const grace = opts.graceSeconds === undefined ? 3600 : Number(opts.graceSeconds);
      if (!Number.isInteger(grace) || grace < 0) {
        throw invalidFlag('--grace-seconds', 'a whole number of seconds, 0 or more');
      }
      const r = await ctx.client().http.request<GcAnswer>('POST', '/v1/registry:gc', {
        body: { dryRun: Boolean(opts.dryRun), graceSeconds: grace },
      });
      const mb = (r.bytes / 1024 / 1024).toFixed(1);
      ctx.status(
        r.dryRun
          ? `Would delete ${r.blobs} unreferenced blobs (${mb} MiB) and ${r.orphans} orphaned files.`
          : `Deleted ${r.blobs} unreferenced blobs (${mb} MiB) and ${r.orphans} orphaned files.`,
      );
      ctx.print(r, { defaultFormat: 'none' });
    },
  })
    .option('--dry-run', 'only count what would be deleted')
    .option('--grace-seconds <SECONDS>', 'keep blobs used within this many seconds (default 3600)');
}
