import { createServer, type Server } from 'node:http';
import type { ContainerSpec } from './engine.ts';

/** What a fake container can do while it "runs"; the fake engine implements it. */
export interface FakeProcess {
  readonly spec: ContainerSpec;
  readonly env: Record<string, string>;
  log(stream: 'stdout' | 'stderr', text: string): void;
  exit(code: number): void;
  /** Uses memory; past the container's limit the fake engine OOM-kills it. */
  allocate(bytes: number): void;
  /** Serves HTTP on a real 127.0.0.1 listener published as the container's host port. */
  serve(server: Server): void;
  /** Replaces the default handling of a signal (default: SIGTERM/SIGINT exit 143/130). */
  onSignal(signal: string, fn: () => void): void;
  /** A timer that dies with the container. */
  every(ms: number, fn: () => void): void;
}

export type FakeProgram = (p: FakeProcess, args: string[]) => void;

/**
 * Built-in programs of the fake engine, chosen by the container's command (or the image's default):
 * `http` answers "Hello NAME!" on $PORT; `sleep` runs until stopped; `ignore-term` ignores SIGTERM;
 * `exit CODE [LINE...]` prints lines (`err:` prefix = stderr) and exits; `ticker MS` logs "tick N";
 * `allocate MB` uses that much memory.
 */
export const FAKE_PROGRAMS: Record<string, FakeProgram> = {
  http: (p) => {
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end(
        `Hello ${p.env.NAME ?? 'World'}! service=${p.env.K_SERVICE ?? '?'} revision=${p.env.K_REVISION ?? '?'}\n`,
      );
      p.log('stdout', `${req.method ?? 'GET'} ${req.url ?? '/'}`);
    });
    p.serve(server);
  },
  sleep: () => undefined,
  'ignore-term': (p) => {
    p.onSignal('SIGTERM', () => p.log('stdout', 'ignoring SIGTERM'));
  },
  exit: (p, args) => {
    for (const line of args.slice(1)) {
      if (line.startsWith('err:')) p.log('stderr', line.slice(4));
      else p.log('stdout', line);
    }
    p.exit(Number(args[0] ?? 0));
  },
  ticker: (p, args) => {
    let n = 0;
    p.every(Number(args[0] ?? 100), () => p.log('stdout', `tick ${++n}`));
  },
  allocate: (p, args) => {
    p.allocate(Number(args[0] ?? 0) * 1024 * 1024);
    p.log('stdout', 'allocated');
  },
};
