import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { InvokeAuthorizer } from '../model/index.ts';
import type { Clock, Logger } from '../shared/index.ts';
import { stripSignature } from '../iam/index.ts';
import { parseHost, type HostKey } from './hosts.ts';
import { Deadlines } from './deadlines.ts';
import { takeInternalMarker } from './marker.ts';
import { ProxyCall, sendError, type RequestHook } from './proxy.ts';
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
   * Finds the route for a request (`res` set) or an upgrade (`socket` set) and runs the invoke
   * check; then proxies it, or rejects it with a status and a clear message. Plain arguments rather
   * than callbacks: nothing is allocated per request on the way.
   */
  private admit(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    socket: Duplex | undefined,
    head: Buffer | undefined,
  ): void {
    const marked = takeInternalMarker(req, this.marker);
    const host = req.headers.host ?? '';
    const hk = this.hostKey(host);
    const route = hk ? this.o.routes.get(hk.key) : undefined;
    if (!hk || !route) {
      return this.reject(
        req,
        res,
        socket,
        404,
        `404 Not Found: no service answers at host "${host}". Service URLs look like ` +
          `http://SERVICE-PROJECT_NUMBER.REGION.${this.o.domain}:${this.o.port()}.`,
      );
    }
    const auth = this.o.invokeAuthorizer;
    if (!auth) return this.route(route, hk.tag, req, res, socket, head);
    auth(
      { headers: req.headers, internal: marked || this.o.isInternal(req.socket.remoteAddress) },
      route.auth,
      route.audiences,
    ).then(
      (d) => {
        if (!d.allow) return this.reject(req, res, socket, d.status, d.message);
        if (!route.auth.invokerIamDisabled) unsignCredential(req);
        this.route(route, hk.tag, req, res, socket, head);
      },
      (e: unknown) => {
        this.o.logger.error({ err: e }, 'invoke authorizer failed');
        this.reject(req, res, socket, 500, 'The invoker check failed.');
      },
    );
  }

  private route(
    route: CompiledRoute,
    tag: string | undefined,
    req: IncomingMessage,
    res: ServerResponse | undefined,
    socket: Duplex | undefined,
    head: Buffer | undefined,
  ): void {
    const name = pickRevision(route, tag, Math.random());
    if (name === undefined) {
      const message = tag
        ? `404 Not Found: no revision is tagged "${tag}".`
        : '404 Not Found: no revision serves traffic.';
      return this.reject(req, res, socket, 404, message);
    }
    const rev = this.o.revision(name);
    if (rev) return this.proxy(rev, req, res, socket, head);
    const notReady = (): void =>
      this.reject(req, res, socket, 503, `Revision ${name} is not ready to serve traffic.`);
    // Being registered (a restart resuming it): wait for it as for a cold start.
    const pending = this.o.pending(name);
    if (!pending) return notReady();
    pending.then((r) => this.proxy(r, req, res, socket, head), notReady);
  }

  private proxy(
    rev: Revision,
    req: IncomingMessage,
    res: ServerResponse | undefined,
    socket: Duplex | undefined,
    head: Buffer | undefined,
  ): void {
    if (res) new ProxyCall(req, res, rev, this.o.clock, this.deadlines, this.o.onRequest).start();
    else new UpgradeCall(req, socket!, head!, rev, this.o.clock).start();
  }

  private reject(
    req: IncomingMessage,
    res: ServerResponse | undefined,
    socket: Duplex | undefined,
    status: number,
    message: string,
  ): void {
    if (!res) return rejectUpgrade(socket!, status, message);
    if (status === 404 && req.url === '/healthz' && !this.hostKey(req.headers.host ?? '')) {
      return sendError(res, 200, 'ok');
    }
    req.resume();
    sendError(res, status, message);
  }

  /** The ingress listener's request handler. */
  readonly handleRequest = (req: IncomingMessage, res: ServerResponse): void => {
    this.admit(req, res, undefined, undefined);
  };

  /** The ingress listener's 'upgrade' handler (WebSocket). */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.admit(req, undefined, socket, head);
  };
}

/**
 * The container sees the caller's token without its signature, so it can read the claims but never
 * replay it against tarmac: X-Serverless-Authorization when it carried the check, else Authorization.
 */
function unsignCredential(req: IncomingMessage): void {
  const h = req.headers;
  const xsa = h['x-serverless-authorization'];
  if (typeof xsa === 'string' && xsa.trim() !== '') h['x-serverless-authorization'] = stripSignature(xsa);
  else if (typeof h.authorization === 'string') h.authorization = stripSignature(h.authorization);
}
