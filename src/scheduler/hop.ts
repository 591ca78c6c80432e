import type { Agent, Dispatcher } from 'undici';

/** Response bytes read (and dropped) before the connection is cut: only the status counts. */
const MAX_BODY = 1 << 20;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** An attempt in flight: how to cut it short (deadline, shutdown) wherever it is. */
export interface Flight {
  /** Set once the attempt was cut short; the reason is 'deadline' or 'shutdown'. */
  cut?: 'deadline' | 'shutdown';
  /** Aborts the request on its connection (undici hands it over when the request is written). */
  abort?: (err: Error) => void;
  /** Rejects the attempt's pending hop at once (a request still queued for a connection included). */
  fail?: (err: Error) => void;
}

/** The error an attempt's hop fails with when it was cut short. */
export class Cut extends Error {}

/** Cuts an attempt short wherever it is (queued for a connection, written, reading the answer). */
export function cut(f: Flight, why: 'deadline' | 'shutdown'): void {
  if (f.cut) return;
  f.cut = why;
  const err = new Cut(why);
  f.abort?.(err);
  f.fail?.(err);
}

/** The answer to one hop: its status and, for a redirect, where to. */
export interface Hop {
  statusCode: number;
  location?: string;
}

/** One request of a hop: where to connect and what to write. */
export interface HopRequest {
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export const isRedirect = (status: number): boolean => REDIRECT.has(status);

/**
 * One request through undici's dispatch API: the response body is read and dropped (up to MAX_BODY,
 * then the connection is cut), without a body stream or an AbortController per attempt (10,000
 * attempts a minute make those allocations a large part of the invoker's CPU). The request is handed
 * to the connection pool synchronously, before this returns.
 */
export function hop(agent: Agent, req: HopRequest, flight: Flight): Promise<Hop> {
  if (flight.cut) return Promise.reject(new Cut(flight.cut));
  return new Promise<Hop>((resolve, reject) => {
    const res: Hop = { statusCode: 0 };
    let bytes = 0;
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      flight.abort = undefined;
      flight.fail = undefined;
      if (err) reject(err);
      else resolve(res);
    };
    flight.fail = settle;
    agent.dispatch(req, {
      onConnect: (abort) => {
        if (flight.cut) abort(new Cut(flight.cut));
        else flight.abort = abort;
      },
      onHeaders: (statusCode, raw) => {
        res.statusCode = statusCode;
        if (REDIRECT.has(statusCode)) res.location = rawHeader(raw, 'location');
        return true;
      },
      onData: (chunk) => {
        bytes += chunk.length;
        if (bytes <= MAX_BODY) return true;
        const abort = flight.abort;
        settle();
        abort?.(new Cut('body too large'));
        return false;
      },
      onComplete: () => settle(),
      onError: (err) => settle(err),
    });
  });
}

/** A header's value from undici's raw [name, value, ...] list. */
function rawHeader(raw: Buffer[] | string[] | null, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toString().toLowerCase() === name) return raw[i + 1]!.toString();
  }
  return undefined;
}
