import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';

/** How long a dialer process waits for another request before it exits (respawned on demand). */
export const DIALER_IDLE_MS = 30_000;

/** The helper's descriptor of the namespace (nsenter enters /proc/self/fd/4). */
const NS_FD = 4;

/**
 * What runs inside the container's network namespace (nsenter --net): says "ready", then for each
 * message connects to the app on its port at 127.0.0.1 there and passes the connected socket to
 * tarmac over the IPC channel (the descriptor moves; the child's copy closes). Exits after
 * TARMAC_DIAL_IDLE_MS without a message, or when tarmac goes. Plain CommonJS for `node -e`.
 */
const DIALER_SCRIPT = `
const net = require('node:net');
const port = Number(process.env.TARMAC_DIAL_PORT);
const idleMs = Number(process.env.TARMAC_DIAL_IDLE_MS);
let idle;
const arm = () => { clearTimeout(idle); idle = setTimeout(() => process.disconnect(), idleMs); };
process.on('message', () => {
  arm();
  const s = net.connect({ host: '127.0.0.1', port, noDelay: true });
  s.once('connect', () => process.send('socket', s));
  s.once('error', (e) => process.send('error ' + (e.code || e.message)));
});
process.on('disconnect', () => process.exit(0));
arm();
process.send('ready');
`;

export interface DialerEvents {
  /** A connection asked for with `request`, connected inside the namespace. */
  onSocket(s: Socket): void;
  /** Requests asked for will not be answered (the helper went idle, or one connect failed): connect otherwise. */
  onMissed(): void;
  /** The dialer stopped for good (the reason, for the log); requests not answered are missed. */
  onFailure(reason: string): void;
}

/** One run of the helper process, with the sockets asked of it. */
interface Helper {
  /** Set once spawned (on the next turn of the loop after `start`). */
  child?: ChildProcess;
  ready: boolean;
  pending: number;
}

/**
 * Opens connections to an instance from inside its own network namespace, so the ingress talks to
 * the app over the namespace's loopback instead of through the engine's port forwarder (slirp4netns
 * copies every byte through a userland TCP stack, costing about as much CPU per request as the
 * ingress itself). A helper process (`nsenter --net=... node -e`) dials on request and hands each
 * socket over; it exits after DIALER_IDLE_MS without requests and is started again on the next
 * miss. The namespace is held open from `open` on (a descriptor, so a recycled PID can never lead
 * elsewhere). A failure before the first socket (no nsenter, not allowed to enter, the app refusing
 * on 127.0.0.1) turns the dialer off for good: the pool keeps using the published port; a failed
 * connect after that only sends the waiting requests there.
 */
export class NetnsDialer {
  private helper: Helper | undefined;
  private closed = false;
  private failed = false;
  private delivered = 0;

  private constructor(
    private nsFd: number | undefined,
    private readonly port: number,
    private readonly events: DialerEvents,
    private readonly idleMs: number,
  ) {}

  /** A dialer for the namespace of process `pid`; one that fails at once when it cannot be opened. */
  static open(pid: number, port: number, events: DialerEvents, idleMs = DIALER_IDLE_MS): NetnsDialer {
    let fd: number | undefined;
    let error: string | undefined;
    try {
      fd = openSync(`/proc/${pid}/ns/net`, 'r');
    } catch (e) {
      error = (e as Error).message;
    }
    const d = new NetnsDialer(fd, port, events, idleMs);
    if (error !== undefined) d.fail(error);
    return d;
  }

  /** The helper runs and answers: a request now gets a socket in well under a millisecond. */
  get ready(): boolean {
    return this.helper?.ready === true && this.usable;
  }

  private get usable(): boolean {
    return !this.closed && !this.failed;
  }

  /** Starts the helper (off the caller's stack) unless it runs; `ready` once it answers. */
  start(): void {
    if (this.helper || !this.usable) return;
    const h: Helper = { ready: false, pending: 0 };
    this.helper = h;
    setImmediate(() => {
      if (this.helper !== h || !this.usable) return;
      try {
        h.child = this.spawn(h);
      } catch (e) {
        this.fail((e as Error).message);
      }
    });
  }

  /** Asks for one connection; it arrives through `onSocket` (or `onMissed`/`onFailure`). */
  request(): void {
    const h = this.helper;
    if (!h?.child?.connected || !this.ready) {
      this.events.onMissed();
      return;
    }
    h.pending++;
    h.child.send(1, (err) => {
      // The helper went idle as this was sent: nothing more comes from it.
      if (err) this.retire(h);
    });
  }

  /** Stops the helper and lets the namespace go; sockets already handed over stay with their owners. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.releaseNamespace();
  }

  private spawn(h: Helper): ChildProcess {
    const child = spawn(
      'nsenter',
      [`--net=/proc/self/fd/${NS_FD}`, '--', process.execPath, '-e', DIALER_SCRIPT],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc', this.nsFd ?? 'ignore'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          TARMAC_DIAL_PORT: String(this.port),
          TARMAC_DIAL_IDLE_MS: String(this.idleMs),
        },
      },
    );
    // A helper never keeps tarmac's process alive.
    child.unref();
    child.channel?.unref();
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 2000) stderr += d;
    });
    child.on('message', (m: unknown, handle: unknown) => {
      if (this.helper !== h) {
        (handle as Socket | undefined)?.destroy();
        return;
      }
      if (m === 'ready') {
        h.ready = true;
        return;
      }
      h.pending = Math.max(0, h.pending - 1);
      if (m === 'socket' && handle) {
        this.delivered++;
        this.events.onSocket(handle as Socket);
      } else if (this.delivered === 0) {
        this.fail(String(m));
      } else {
        this.events.onMissed();
      }
    });
    child.on('error', (e) => {
      if (this.helper === h) this.fail(e.message);
    });
    child.on('exit', (code) => {
      if (this.helper !== h) return;
      // Exit 0 is the idle timeout; anything else (nsenter refused, node missing) ends the dialer.
      if (code !== 0) this.fail(stderr.trim().split('\n').pop() || `exit ${code}`);
      else this.retire(h);
    });
    return child;
  }

  /** The helper `h` answers no more: the next miss starts another; whoever waited is missed. */
  private retire(h: Helper): void {
    if (this.helper !== h) return;
    this.helper = undefined;
    if (h.pending > 0) this.events.onMissed();
  }

  private fail(reason: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.stop();
    this.releaseNamespace();
    this.events.onFailure(reason);
  }

  private releaseNamespace(): void {
    if (this.nsFd !== undefined) closeSync(this.nsFd);
    this.nsFd = undefined;
  }

  private stop(): void {
    const h = this.helper;
    this.helper = undefined;
    if (h?.child && h.child.exitCode === null) h.child.kill();
  }
}
