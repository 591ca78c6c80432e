import type { Agent, Dispatcher } from 'undici';
import type { HopRequest } from './request.ts';

/** A request's handler as the lanes see it: undici's handler, its request, whether it is still wanted. */
export interface LaneHandler extends Dispatcher.DispatchHandlers {
  /** True once the attempt is over (cut while waiting): it is dropped instead of sent. */
  readonly over: boolean;
  /** The request to send (kept on the handler: queueing it allocates nothing). */
  readonly hopReq: HopRequest;
}

interface Lane {
  active: number;
  waiting: LaneHandler[];
  head: number;
}

/**
 * At most `max` requests per origin handed to undici at a time (one per pooled connection); the rest
 * wait here, first in first out. undici's pool queues too, but looks for a free connection on every
 * request it is given (a walk over all of them): with 10,000 runs due at once that walk was a large
 * part of sending them. Here sending a request that has to wait is an array push.
 */
export class Lanes {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly agent: Agent,
    private readonly max: number,
  ) {}

  /** Hands the request to undici now, or queues it behind the origin's busy connections. */
  send(h: LaneHandler): void {
    const origin = h.hopReq.origin;
    let lane = this.lanes.get(origin);
    if (!lane) this.lanes.set(origin, (lane = { active: 0, waiting: [], head: 0 }));
    if (lane.active < this.max) {
      lane.active++;
      this.agent.dispatch(h.hopReq, h);
    } else lane.waiting.push(h);
  }

  /** A request handed to undici is over (answered, failed or aborted): the next one may go. */
  release(origin: string): void {
    const lane = this.lanes.get(origin);
    if (!lane) return;
    lane.active--;
    while (lane.active < this.max && lane.head < lane.waiting.length) {
      const next = lane.waiting[lane.head]!;
      lane.waiting[lane.head++] = undefined as never;
      if (next.over) continue;
      lane.active++;
      this.agent.dispatch(next.hopReq, next);
    }
    if (lane.head === lane.waiting.length) {
      lane.waiting = [];
      lane.head = 0;
      if (lane.active === 0) this.lanes.delete(origin);
    } else if (lane.head > 4096 && lane.head * 2 > lane.waiting.length) {
      lane.waiting = lane.waiting.slice(lane.head);
      lane.head = 0;
    }
  }
}
