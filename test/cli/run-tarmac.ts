import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/tarmac.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A CLI environment isolated from the user's: its own config dir and TARMAC_HOME. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_OPTIONS'])
    if (process.env[k]) base[k] = process.env[k]!;
  return {
    ...base,
    TARMAC_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'tarmac-cli-config-')),
    TARMAC_HOME: mkdtempSync(join(tmpdir(), 'tarmac-cli-home-')),
    ...extra,
  };
}

/** Starts `node bin/tarmac.mjs ARGS` as a user would. */
export function spawnTarmac(
  args: string[],
  env: Record<string, string>,
  input?: string,
  cwd?: string,
): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(input ?? '');
  return child;
}

/** Runs the CLI to completion and collects its exit code and output. */
export function runTarmac(
  args: string[],
  env: Record<string, string>,
  input?: string,
  cwd?: string,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnTarmac(args, env, input, cwd);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** `tarmac ARGS` as the user types it in a shell (one string, split on spaces: no quoting needed here). */
export function sh(line: string, env: Record<string, string>, cwd?: string): Promise<CliResult> {
  const words = line.trim().split(/\s+/);
  if (words[0] !== 'tarmac') throw new Error(`not a tarmac command: ${line}`);
  return runTarmac(words.slice(1), env, undefined, cwd);
}
