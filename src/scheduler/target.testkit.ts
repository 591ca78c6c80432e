import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen, closeServer, type Clock } from '../shared/index.ts';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A local HTTP target on 127.0.0.1 for scheduler tests: records requests, answers as told. */
export class Target {
  readonly received: Received[] = [];
  /** Status to answer, or 'hang' to hold the request until release(). */
  answer: (r: Received) => number | 'hang' = () => 200;
  private held: ServerResponse[] = [];
  private server: Server | undefined;
  private waiters: { n: number; resolve: () => void }[] = [];
  url = '';

  constructor(private readonly clock: Clock) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: this.clock.now(),
        };
        this.received.push(r);
        const a = this.answer(r);
        if (a === 'hang') this.held.push(res);
        else res.writeHead(a).end('ok');
        this.waiters = this.waiters.filter((w) =>
          this.received.length >= w.n ? (w.resolve(), false) : true,
        );
      });
    });
    const addr: AddressInfo = await listen(this.server, '127.0.0.1', 0);
    this.url = `http://127.0.0.1:${addr.port}`;
    return this;
  }

  /** Resolves once `n` requests have arrived in total. */
  waitFor(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  release(status = 200): void {
    for (const res of this.held.splice(0)) res.writeHead(status).end('ok');
  }

  async stop(): Promise<void> {
    this.release();
    if (this.server) await closeServer(this.server, 100);
  }
}
