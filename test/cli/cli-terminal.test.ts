import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { BUSYBOX_IMAGE } from '../busybox-image.ts';
import { get } from '../serving/client.ts';
import { cliEnv, runTarmac } from './run-tarmac.ts';

const BIN = resolve(import.meta.dirname, '../../bin/tarmac.mjs');
const HTTPD = ['--command=sh', '--args=-c,echo hi > /tmp/index.html && exec httpd -f -p $PORT -h /tmp'];

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI on a pseudo-terminal (script(1)), as a user at a shell does; once the output shows
 * `prompt`, types `answer` and Enter. Resolves with the exit code and everything the terminal showed.
 */
function onTerminal(
  args: string[],
  env: Record<string, string>,
  prompt: string,
  answer: string,
): Promise<{ code: number; screen: string }> {
  const line = [process.execPath, BIN, ...args].map(quote).join(' ');
  return new Promise((done, fail) => {
    const child = spawn('script', ['-qfec', line, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let answered = false;
    const onData = (d: Buffer): void => {
      screen += d.toString();
      if (!answered && screen.includes(prompt)) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', fail);
    child.on('close', (code) => {
      child.stdin.destroy();
      done({ code: code ?? -1, screen });
    });
  });
}

describe('the CLI on a terminal', () => {
  it('asks before making a new service public and before deleting; answers are honoured', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home, TERM: 'dumb' });
    const ingress = p.listeners.ingress.port;

    const deploy = await onTerminal(
      ['run', 'deploy', 'tty', '--image', BUSYBOX_IMAGE, ...HTTPD, '--region', 'us-central1'],
      env,
      'Allow unauthenticated invocations to [tty] (y/N)?',
      'y',
    );
    expect(deploy.code, deploy.screen).toBe(0);
    expect(deploy.screen).toContain('Setting IAM Policy');
    const url = /Service URL: (\S+)/.exec(deploy.screen)![1]!;
    expect((await get(url, ingress, '/')).status).toBe(200);

    const keep = await onTerminal(
      ['run', 'services', 'delete', 'tty', '--region', 'us-central1'],
      env,
      'Do you want to continue (Y/n)?',
      'n',
    );
    expect(keep.code, keep.screen).toBe(1);
    expect(keep.screen).toContain('Aborted by user.');
    const still = await runTarmac(['run', 'services', 'describe', 'tty', '--format=value(status.url)'], env);
    expect(still.stdout.trim()).toBe(url);

    const gone = await onTerminal(
      ['run', 'services', 'delete', 'tty', '--region', 'us-central1'],
      env,
      'Do you want to continue (Y/n)?',
      'y',
    );
    expect(gone.code, gone.screen).toBe(0);
  }, 240_000);
});
