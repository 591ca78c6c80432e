import { bootstrapImages, defaultImageCache } from '../runtime/index.ts';
import { splitArgs, withEngine } from './engine.ts';

/** `tarmac images bootstrap [IMAGE...] [--force] [--format json]`: base images from Debian packages. */
export async function imagesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'bootstrap') {
    process.stderr.write('usage: tarmac images bootstrap [IMAGE...] [--force] [--verbose] [--format json]\n');
    return 2;
  }
  const { flags, args } = splitArgs(rest, ['force', 'verbose']);
  const { force, verbose, format, ...config } = flags;
  const json = format === 'json';
  return withEngine(config, async (conn) => {
    const results = await bootstrapImages(conn.engine, {
      names: args,
      force: force === 'true',
      cacheDir: defaultImageCache(),
      onLog: (l) => {
        if (verbose === 'true') process.stderr.write(`${l}\n`);
      },
    });
    if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else
      for (const r of results)
        process.stdout.write(`${r.ref}  ${r.outcome}  ${r.seconds.toFixed(1)}s  ${r.imageId.slice(0, 19)}\n`);
    return 0;
  });
}
