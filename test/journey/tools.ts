import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { runTarmac, type CliResult } from '../cli/run-tarmac.ts';

const BIN = resolve(import.meta.dirname, '../../bin/tarmac.mjs');

/** Free TCP ports on 127.0.0.1 (kept for the whole journey: service URLs carry the ingress port). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const s = createServer();
          s.once('error', fail);
          s.listen(0, '127.0.0.1', () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

/** `tarmac serve` as a child process, as a user starts it. */
export class TarmacServer {
  private child: ChildProcess | undefined;
  output = '';

  constructor(private readonly env: Record<string, string>) {}

  /** Starts it and waits for its listener summary. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: this.env, stdio: 'pipe' });
    this.child = child;
    await new Promise<void>((ok, fail) => {
      const onData = (d: Buffer): void => {
        this.output += d.toString();
        if (/registry +http/.test(this.output)) ok();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => fail(new Error(`tarmac serve exited (${code}): ${this.output}`)));
    });
  }

  /** SIGTERM, then waits for the drain to finish; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((ok) => child.once('exit', (c) => ok(c)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(timer);
    this.child = undefined;
    return code;
  }
}

export interface CurlResult {
  status: number;
  body: string;
  seconds: number;
}

/** Real curl (its own resolver maps *.localhost to 127.0.0.1, so only loopback is ever contacted). */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((ok, fail) => {
    execFile(
      'curl',
      ['-sS', '--max-time', '120', '-w', '\n%{http_code} %{time_total}', ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const m = /\n(\d{3}) ([\d.]+)$/.exec(stdout);
        if (!m) return fail(new Error(`curl ${args.join(' ')} failed: ${err?.message ?? ''} ${stderr}`));
        ok({ status: Number(m[1]), body: stdout.slice(0, m.index), seconds: Number(m[2]) });
      },
    );
  });
}

/** Runs a CLI command and keeps a transcript (TARMAC_JOURNEY_TRANSCRIPT writes it for the docs). */
export class Cli {
  readonly transcript: string[] = [];

  constructor(
    readonly env: Record<string, string>,
    private readonly cwd: string,
  ) {}

  async run(args: string[]): Promise<CliResult> {
    const r = await runTarmac(args, this.env, undefined, this.cwd);
    this.transcript.push(`$ tarmac ${args.map(quote).join(' ')}\n${r.stderr}${r.stdout}[exit ${r.code}]\n`);
    return r;
  }

  /** Runs a command that must succeed; returns stdout. */
  async ok(args: string[]): Promise<string> {
    const r = await this.run(args);
    if (r.code !== 0) throw new Error(`tarmac ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  note(text: string): void {
    this.transcript.push(`${text}\n`);
  }
}

const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** Polls `check` until it returns a value (not undefined) or `ms` passes. */
export async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
