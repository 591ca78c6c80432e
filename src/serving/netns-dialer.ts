import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/** How long a dialer process waits for another request before it exits (respawned on demand). */
export const DIALER_IDLE_MS = 30_000;

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
  /** Requests will not be answered (the helper exited idle as they were sent): connect otherwise. */
  onMissed(): void;
  /** The dialer stopped for good (the reason, for the log); requests not answered are missed. */
  onFailure(reason: string): void;
}

/**
 * Opens connections to an instance from inside its own network namespace, so the ingress talks to
 * the app over the namespace's loopback instead of through the engine's port forwarder (slirp4netns
 * copies every byte through a userland TCP stack, costing about as much CPU per request as the
 * ingress itself). A helper process (`nsenter --net=/proc/PID/ns/net node`) dials on request and
 * hands each socket over; it exits after DIALER_IDLE_MS without requests and is started again on
 * the next miss. Any failure (no nsenter, not allowed to enter the namespace, the app refusing on
 * 127.0.0.1) turns the dialer off for good: the pool keeps using the published port.
 */
export class NetnsDialer {
  private child: ChildProcess | undefined;
  private isReady = false;
  private closed = false;
  private failed = false;
  /** Sockets asked for and not yet delivered. */
  private pending = 0;

  constructor(
    private readonly pid: number,
    private readonly port: number,
    private readonly events: DialerEvents,
  ) {}

  /** The helper runs and answers: a request now gets a socket in well under a millisecond. */
  get ready(): boolean {
    return this.isReady && !this.closed && !this.failed;
  }

  /** Starts the helper unless it runs (or the dialer cannot work); `ready` once it answers. */
  start(): void {
    if (!this.child && !this.closed && !this.failed) this.spawn();
  }

  /** Asks for one connection; it arrives through `onSocket` (or `onMissed`/`onFailure`). */
  request(): void {
    const child = this.child;
    if (!this.ready || !child?.connected) {
      this.events.onMissed();
      return;
    }
    this.pending++;
    child.send(1, (err) => {
      // The helper went idle as this was sent: nothing more comes from it.
      if (err && this.pending > 0) {
        this.pending = 0;
        this.events.onMissed();
      }
    });
  }

  /** Stops the helper; sockets already handed over stay with their owners. */
  close(): void {
    this.closed = true;
    this.stop();
  }

  private spawn(): void {
    const child = spawn(
      'nsenter',
      [`--net=/proc/${this.pid}/ns/net`, '--', process.execPath, '-e', DIALER_SCRIPT],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          TARMAC_DIAL_PORT: String(this.port),
          TARMAC_DIAL_IDLE_MS: String(DIALER_IDLE_MS),
        },
      },
    );
    this.child = child;
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 2000) stderr += d;
    });
    child.on('message', (m: unknown, handle: unknown) => {
      if (m === 'ready') {
        this.isReady = true;
        return;
      }
      this.pending = Math.max(0, this.pending - 1);
      if (m === 'socket' && handle) {
        if (this.closed) (handle as Socket).destroy();
        else this.events.onSocket(handle as Socket);
      } else {
        this.fail(String(m));
      }
    });
    child.on('error', (e) => this.fail(e.message));
    child.on('exit', (code) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.isReady = false;
      // Exit 0 is the idle timeout; anything else (nsenter refused, node missing) ends the dialer.
      if (code !== 0) this.fail(stderr.trim().split('\n').pop() || `exit ${code}`);
      else if (this.pending > 0) {
        this.pending = 0;
        this.events.onMissed();
      }
    });
  }

  private fail(reason: string): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.pending = 0;
    this.stop();
    this.events.onFailure(reason);
  }

  private stop(): void {
    const child = this.child;
    this.child = undefined;
    this.isReady = false;
    if (child && child.exitCode === null) child.kill();
  }
}
