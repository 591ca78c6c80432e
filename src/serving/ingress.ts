import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { InvokeAuthorizer, InvokeDecision } from '../model/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { stripSignature } from '../iam/index.ts';
import { parseHost, type HostKey } from './hosts.ts';
import { Deadlines } from './deadlines.ts';
import { IngressServer } from './front.ts';
import { takeInternalMarker } from './marker.ts';
import { NodeDownstream, sendError, type Downstream } from './downstream.ts';
import { ProxyCall, type RequestHook } from './proxy.ts';
import type { Revision } from './revision.ts';
import { pickRevision, type CompiledRoute, type RouteTable } from './routes.ts';
import { UpgradeCall, rejectUpgrade } from './upgrade.ts';

export interface IngressOptions {
  domain: string;
  /** The ingress listener's port (404 bodies show the URL shape with it). */
  port: () => number;
  routes: RouteTable;
  /** A live revision by name. */
  revision: (name: string) => Revision | undefined;
  /** A revision being registered (after a restart); requests wait for it as for a cold start. */
  pending: (name: string) => Promise<Revision> | undefined;
  /** Whether a source address is one of this installation's instances. */
  isInternal: (remoteAddress: string | undefined) => boolean;
  clock: Clock;
  logger: Logger;
  invokeAuthorizer?: InvokeAuthorizer;
  onRequest?: RequestHook;
  /** Secret value of INTERNAL_MARKER_HEADER that makes a request internal traffic (see marker.ts). */
  internalMarker?: string;
}

const HOST_CACHE_LIMIT = 4096;

/** The ingress listener's handlers: host routing, the invoker check first, traffic split, tag URLs. */
export class Ingress {
  private readonly hostCache = new Map<string, HostKey | null>();
  private readonly suffix: string;
  private readonly marker: Buffer | undefined;
  /** The proxied requests' timeouts, on one timer. */
  private readonly deadlines: Deadlines;

  constructor(private readonly o: IngressOptions) {
    this.deadlines = new Deadlines(o.clock);
    this.marker = o.internalMarker ? Buffer.from(o.internalMarker) : undefined;
    this.suffix = `.${o.domain}`;
  }

  private hostKey(host: string): HostKey | null {
    let hk = this.hostCache.get(host);
    if (hk === undefined) {
      if (this.hostCache.size >= HOST_CACHE_LIMIT) this.hostCache.clear();
      hk = parseHost(host, this.suffix) ?? null;
      this.hostCache.set(host, hk);
    }
    return hk;
  }

  /**
   * Finds the route for a request (a Downstream) or an upgrade and runs the invoke check; then
   * proxies it, or rejects it with a status and a clear message. Plain arguments rather than
   * callbacks: nothing is allocated per request on the way.
   */
  admit(c: Client): void {
    const headers = c.headers;
    const marked = takeInternalMarker(headers, this.marker);
    const host = headers.host ?? '';
    const hk = this.hostKey(host);
    const route = hk ? this.o.routes.get(hk.key) : undefined;
    if (!hk || !route) {
      return this.reject(
        c,
        404,
        `404 Not Found: no service answers at host "${host}". Service URLs look like ` +
          `http://SERVICE-PROJECT_NUMBER.REGION.${this.o.domain}:${this.o.port()}.`,
      );
    }
    const auth = this.o.invokeAuthorizer;
    if (!auth) return this.route(route, hk.tag, c);
    let d: InvokeDecision | Promise<InvokeDecision>;
    try {
      d = auth(
        { headers, internal: marked || this.o.isInternal(c.remoteAddress) },
        route.auth,
        route.audiences,
      );
    } catch (e) {
      return this.authFailed(c, e);
    }
    if (!(d instanceof Promise)) return this.decided(d, route, hk.tag, c);
    d.then(
      (r) => this.decided(r, route, hk.tag, c),
      (e: unknown) => this.authFailed(c, e),
    );
  }

  private decided(d: InvokeDecision, route: CompiledRoute, tag: string | undefined, c: Client): void {
    if (!d.allow) return this.reject(c, d.status, d.message);
    if (!route.auth.invokerIamDisabled) unsignCredential(c.headers);
    this.route(route, tag, c);
  }

  private authFailed(c: Client, e: unknown): void {
    this.o.logger.error({ err: e }, 'invoke authorizer failed');
    this.reject(c, 500, 'The invoker check failed.');
  }

  private route(route: CompiledRoute, tag: string | undefined, c: Client): void {
    const name = pickRevision(route, tag, Math.random());
    if (name === undefined) {
      const message = tag
        ? `404 Not Found: no revision is tagged "${tag}".`
        : '404 Not Found: no revision serves traffic.';
      return this.reject(c, 404, message);
    }
    const rev = this.o.revision(name);
    if (rev) return this.proxy(rev, c);
    const notReady = (): void => this.reject(c, 503, `Revision ${name} is not ready to serve traffic.`);
    // Being registered (a restart resuming it): wait for it as for a cold start.
    const pending = this.o.pending(name);
    if (!pending) return notReady();
    pending.then((r) => this.proxy(r, c), notReady);
  }

  private proxy(rev: Revision, c: Client): void {
    if (c instanceof UpgradeRequest) new UpgradeCall(c.req, c.socket, c.head, rev, this.o.clock).start();
    else new ProxyCall(c, rev, this.o.clock, this.deadlines, this.o.onRequest).start();
  }

  private reject(c: Client, status: number, message: string): void {
    if (c instanceof UpgradeRequest) return rejectUpgrade(c.socket, status, message);
    if (status === 404 && c.url === '/healthz' && !this.hostKey(c.headers.host ?? '')) {
      return sendError(c, 200, 'ok');
    }
    sendError(c, status, message);
  }

  /** The ingress listener, not listening yet: its own for ordinary requests, Node's for the rest. */
  createServer(): IngressServer {
    const fallback = createServer(this.handleRequest);
    fallback.on('upgrade', this.handleUpgrade);
    return new IngressServer((d) => this.admit(d), fallback, this.o.clock);
  }

  /** Node's HTTP server's request handler (what the ingress listener hands over). */
  private readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.admit(new NodeDownstream(req, res));
  };

  /** Node's HTTP server's 'upgrade' handler (WebSocket). */
  private readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.admit(new UpgradeRequest(req, socket, head));
  };
}

/** An Upgrade request (WebSocket): the socket is relayed whole once an instance takes it. */
class UpgradeRequest {
  constructor(
    readonly req: IncomingMessage,
    readonly socket: Duplex,
    readonly head: Buffer,
  ) {}

  get headers(): IncomingHttpHeaders {
    return this.req.headers;
  }

  get url(): string {
    return this.req.url ?? '/';
  }

  get remoteAddress(): string {
    return this.req.socket.remoteAddress ?? '';
  }
}

type Client = Downstream | UpgradeRequest;

/**
 * The container sees the caller's token without its signature, so it can read the claims but never
 * replay it against tarmac: X-Serverless-Authorization when it carried the check, else Authorization.
 */
function unsignCredential(h: IncomingHttpHeaders): void {
  const xsa = h['x-serverless-authorization'];
  if (typeof xsa === 'string' && xsa.trim() !== '') h['x-serverless-authorization'] = stripSignature(xsa);
  else if (typeof h.authorization === 'string') h.authorization = stripSignature(h.authorization);
}
