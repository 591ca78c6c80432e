import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Clock, Logger, TimerHandle } from '../shared/index.ts';
import { normalizeAddress } from './metadata.ts';
import { closeTcp, listenTcp } from './tcp.ts';

/**
 * Port 80: where `http://metadata.google.internal/` lands. Containers resolve the name to the host
 * loopback as slirp4netns shows it (10.0.2.2), whose port 80 is the host's 127.0.0.1:80.
 */
export const METADATA_HTTP_PORT = 80;

/** Instance source addresses (serving's AddressPool hands out 127.1.0.1 - 127.1.255.254). */
export function isInstanceAddress(address: string): boolean {
  return /^127\.1\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** Marks the front's own refusals, so `tarmac doctor` can tell it from another program on port 80. */
export const FRONT_HEADER = 'x-tarmac-metadata-front';

export interface FrontStatus {
  /** This process holds 127.0.0.1:80. */
  listening: boolean;
  /** Why not, when it does not (EADDRINUSE: another tarmac or program; EACCES: not root). */
  error?: string;
}

/**
 * The machine-wide listener on 127.0.0.1:80. Several tarmac installations may run on one machine
 * and only one can hold the port, so the front knows nothing about instances: a connection from
 * instance address A is piped to A:80, where the installation that owns A (and so the instance)
 * listens with its metadata server. The caller's identity is still only its own source address,
 * which a container cannot choose. The others retry the port, and take over when its holder stops.
 */
export class MetadataFront {
  private server: Server | undefined;
  private timer: TimerHandle | undefined;
  private disposed = false;
  private readonly sockets = new Set<Socket>();
  status: FrontStatus = { listening: false };

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly host = '127.0.0.1',
    private readonly port = METADATA_HTTP_PORT,
    private readonly retryMs = 2000,
  ) {}

  /** Tries to take the port; when taken, keeps trying in the background. Never throws. */
  async start(): Promise<FrontStatus> {
    await this.tryListen();
    return this.status;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    const closed = this.server ? closeTcp(this.server) : undefined;
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async tryListen(): Promise<void> {
    this.timer = undefined;
    if (this.disposed) return;
    const server = createServer((s) => this.pipe(s));
    try {
      await listenTcp(server, this.host, this.port);
      if (this.disposed) {
        server.close();
        return;
      }
      this.server = server;
      const took = this.status.error !== undefined;
      this.status = { listening: true };
      this.log.info(
        { port: this.port },
        took ? 'metadata.google.internal:80 taken over' : 'metadata.google.internal:80 served',
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      this.status = { listening: false, error: code };
      // Not root: retrying cannot help. In use: another tarmac (or program) holds it; take over later.
      if (code === 'EADDRINUSE' && !this.disposed)
        this.timer = this.clock.setTimeout(() => void this.tryListen(), this.retryMs);
    }
  }

  private pipe(client: Socket): void {
    const from = normalizeAddress(client.remoteAddress);
    client.on('error', () => undefined);
    this.sockets.add(client);
    client.once('close', () => this.sockets.delete(client));
    if (!isInstanceAddress(from)) return refuse(client, 'This address is not a tarmac instance.');
    const upstream = connect({ host: from, port: this.port });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
    };
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.once('error', () => {
      if (connected) return done();
      // Nobody listens at the caller's address: no running installation owns that instance.
      upstream.off('close', done);
      refuse(client, 'No tarmac metadata server owns this address.');
    });
    upstream.once('close', done);
    client.once('close', done);
  }
}

function refuse(client: Socket, message: string): void {
  const body = `${message}\n`;
  client.end(
    `HTTP/1.1 403 Forbidden\r\nMetadata-Flavor: Google\r\n${FRONT_HEADER}: 1\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
