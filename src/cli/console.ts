import type { Command } from 'commander';
import { withHandler } from './core/index.ts';

/**
 * `tarmac console`: asks the API for a one-time sign-in link standing for the CLI's own credential
 * (the local owner's, from TARMAC_HOME/credentials.json, unless another is active) and prints it.
 */
export function register(group: Command): void {
  group.description(
    'Print a signed-in web console URL for the active account (a one-time link, valid 5 minutes).',
  );
  withHandler(group, async (ctx) => {
    const endpoint = ctx.endpoint('run');
    const { path } = await ctx.client().http.request<{ path: string }>('POST', '/console/api/login-links');
    const url = new URL(path, endpoint).toString();
    ctx.print({ url }, { defaultFormat: 'value(url)' });
  });
}
