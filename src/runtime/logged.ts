import { spawn } from 'node:child_process';
import { engineError } from './errors.ts';
import { LineSplitter } from './streams.ts';

/** Runs a command, passing its output lines to onLog; rejects with the last lines when it fails. */
export function runLogged(cmd: string, args: string[], onLog?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const split = new LineSplitter();
    const take = (d: Buffer): void => {
      for (const l of split.push(d.toString())) {
        tail.push(l);
        if (tail.length > 20) tail.shift();
        onLog?.(l);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          engineError(
            'BUILD_FAILED',
            `${cmd} exited with ${code ?? 'a signal'}: ${tail.slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}
