// CLI commands run from a cached esbuild bundle of src/cli (plain JavaScript), which skips tsx's
// loader thread and per-module transforms: a command starts in about a third of the time. The bundle
// is rebuilt whenever a source file under src/ changes (key: paths, sizes, mtimes).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function sourceKey() {
  const h = createHash('sha1');
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        const s = statSync(p);
        h.update(`${p}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  walk(join(root, 'src'));
  return h.digest('hex').slice(0, 16);
}

/** The CLI module ({ runCli }) from the bundle, building it first when the sources changed. */
export async function loadCliBundle() {
  const dir = join(root, 'node_modules', '.cache', 'tarmac-cli');
  const file = join(dir, `cli-${sourceKey()}.mjs`);
  if (!existsSync(file)) {
    const { build } = await import('esbuild');
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await build({
      entryPoints: [join(root, 'src', 'cli', 'index.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Packages stay external; unused ones (pino, via shared) are dropped instead of loaded.
      plugins: [
        {
          name: 'external-packages',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (a) => ({ path: a.path, external: true, sideEffects: false }));
          },
        },
      ],
      outfile: tmp,
      logLevel: 'silent',
    });
    renameSync(tmp, file);
    for (const old of readdirSync(dir)) {
      if (old !== file.split('/').pop() && old.startsWith('cli-') && old.endsWith('.mjs'))
        rmSync(join(dir, old), { force: true });
    }
  }
  return import(pathToFileURL(file).href);
}
