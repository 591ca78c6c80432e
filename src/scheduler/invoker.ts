import { Agent } from 'undici';
import type { TokenMinter } from '../model/index.ts';
import type { Clock } from '../shared/index.ts';
import { Attempt, type AttemptContext, type Done } from './attempt.ts';
import { Deadlines } from './deadlines.ts';
import { Lanes } from './lanes.ts';
import type { AttemptOutcome } from './outcome.ts';
import { RequestBuilder, type AttemptRequest, type InternalRoute } from './request.ts';
import { TokenCache } from './tokens.ts';

export type { AttemptRequest, InternalRoute } from './request.ts';
export type { AttemptOutcome } from './outcome.ts';
export { codeOfHttp } from './outcome.ts';
export type { Attempt, Done } from './attempt.ts';

export interface InvokerOptions {
  clock: Clock;
  minter?: TokenMinter;
  internalRoute?: InternalRoute;
  /** Connections per origin (keep-alive pool). */
  connections?: number;
}

/**
 * Sends attempts of jobs' HTTP targets as Cloud Scheduler does, in two steps so the work happens
 * before a run's instant: `prepare` builds the request (headers, token) into an Attempt, `fire` only
 * hands it to the connection pool. Outcomes are reported, never thrown.
 */
export class HttpInvoker {
  private readonly ctx: AttemptContext;
  private readonly builder: RequestBuilder;
  private readonly deadlines: Deadlines;
  private readonly agent: Agent;

  constructor(opts: InvokerOptions) {
    const deadlines = new Deadlines(opts.clock);
    this.deadlines = deadlines;
    this.builder = new RequestBuilder(new TokenCache(opts.clock, opts.minter), opts.internalRoute);
    const connections = opts.connections ?? 256;
    this.agent = new Agent({ connections, keepAliveTimeout: 30_000 });
    this.ctx = {
      lanes: new Lanes(this.agent, connections),
      clock: opts.clock,
      route: opts.internalRoute,
      track: (a) => deadlines.add(a),
      untrack: (a) => deadlines.remove(a),
    };
  }

  /** Builds an attempt's request; a Promise only while its token is being minted. Never rejects. */
  prepare(req: AttemptRequest): Attempt | Promise<Attempt> {
    const p = this.builder.build(req);
    return p instanceof Promise ? p.then((r) => new Attempt(this.ctx, r)) : new Attempt(this.ctx, p);
  }

  /** Sends a prepared attempt now; `done` gets its outcome and `tag` once (maybe before this returns). */
  fire<T>(a: Attempt, done: Done<T>, tag: T): void {
    a.fire(done, tag);
  }

  /** Prepares and fires at once (tests). */
  async attempt(req: AttemptRequest): Promise<AttemptOutcome> {
    const a = await this.prepare(req);
    return new Promise((resolve) => a.fire(resolve, undefined));
  }

  /** Cuts every attempt in flight (they end as CANCELLED). */
  abortAll(): void {
    for (const a of this.deadlines.live()) a.cut('shutdown');
  }

  async close(): Promise<void> {
    this.abortAll();
    this.deadlines.dispose();
    await this.agent.close().catch(() => undefined);
  }
}
