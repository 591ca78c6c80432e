import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** A tar stream of a directory's contents (paths relative to it), made by the system `tar`. */
export function tarDirectory(dir: string): Readable {
  const child = spawn('tar', ['-C', dir, '--numeric-owner', '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.on('close', (code) => {
    if (code !== 0)
      child.stdout.destroy(new Error(`tar of ${dir} failed (${code ?? 'signal'}): ${err.trim()}`));
  });
  return child.stdout;
}
