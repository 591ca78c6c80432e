import type { Readable } from 'node:stream';
import { sha256Hex } from '../shared/index.ts';
import type { BuildOptions } from './engine.ts';
import { engineError } from './errors.ts';

export interface FakeImage {
  id: string;
  ref: string;
  /** Default command: a fake program name and its arguments. */
  program: string[];
  env: string[];
}

/** `python:3.11` -> `docker.io/library/python:3.11`; adds `:latest`; leaves digests alone. */
export function normalizeRef(ref: string): string {
  let r = ref;
  const first = r.split('/')[0]!;
  const hasHost = r.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasHost) r = r.includes('/') ? `docker.io/${r}` : `docker.io/library/${r}`;
  const slash = r.lastIndexOf('/');
  if (!r.includes('@') && r.lastIndexOf(':') < slash) r += ':latest';
  return r;
}

/** Reads the regular files of an (uncompressed) tar stream. */
export async function readTar(stream: Readable): Promise<Map<string, Buffer>> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  const buf = Buffer.concat(chunks);
  const files = new Map<string, Buffer>();
  let off = 0;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a: number, n: number): string =>
      header
        .subarray(a, a + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = str(345, 155);
    const name = (prefix ? `${prefix}/` : '') + str(0, 100);
    const size = Number.parseInt(str(124, 12).trim() || '0', 8);
    const type = str(156, 1);
    if (type === '0' || type === '')
      files.set(name.replace(/^\.\//, ''), buf.subarray(off + 512, off + 512 + size));
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/**
 * A fake build: reads the Dockerfile from the context, requires its FROM image to exist, logs one
 * line per instruction, fails on `RUN false` / `RUN exit 1`, and yields an image running `http`.
 */
export async function fakeBuild(
  opts: BuildOptions,
  find: (ref: string) => FakeImage | undefined,
): Promise<FakeImage> {
  const cancelled = (): Error => engineError('BUILD_CANCELLED', `build of ${opts.tag} cancelled`);
  if (opts.signal?.aborted) throw cancelled();
  const files = await readTar(opts.context);
  const name = opts.dockerfile ?? 'Dockerfile';
  const df = files.get(name);
  if (!df) throw engineError('BUILD_FAILED', `build of ${opts.tag} failed: no ${name} in the context`);
  const steps = df
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const env: string[] = ['PATH=/usr/local/bin:/usr/bin:/bin'];
  for (const [i, step] of steps.entries()) {
    await new Promise((r) => setImmediate(r));
    if (opts.signal?.aborted) throw cancelled();
    opts.onLog?.(`STEP ${i + 1}/${steps.length}: ${step}`);
    const [op, ...rest] = step.split(/\s+/);
    const arg = rest.join(' ');
    if (op?.toUpperCase() === 'FROM' && !find(rest[0] ?? '')) {
      throw engineError('BUILD_FAILED', `build of ${opts.tag} failed: ${rest[0] ?? ''}: image not known`);
    }
    if (op?.toUpperCase() === 'ENV') env.push(arg.includes('=') ? arg : arg.replace(/\s+/, '='));
    if (op?.toUpperCase() === 'RUN' && /^(false|exit [1-9])/.test(arg)) {
      throw engineError('BUILD_FAILED', `build of ${opts.tag} failed: step ${i + 1}: ${arg}: exit status 1`);
    }
  }
  const id = `sha256:${sha256Hex(df.toString('utf8') + opts.tag + String(files.size))}`;
  opts.onLog?.(`COMMIT ${opts.tag}`);
  return { id, ref: normalizeRef(opts.tag), program: ['http'], env };
}
