import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server as TcpServer,
  type Socket,
} from 'node:net';
import type { InstanceIdentity, TokenMinter } from '../model/index.ts';
import { closeTcp, listenTcp } from './tcp.ts';
import { closeServer, isTarmacError, listen, type Clock, type Logger } from '../shared/index.ts';

const PREFIX = '/computeMetadata/v1/';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const SA_FIELDS = ['aliases', 'email', 'identity', 'scopes', 'token'];

/** A connection's source address with IPv4-mapped IPv6 unwrapped. */
export function normalizeAddress(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

type Reply = { status: number; body: string; json?: boolean };
const text = (body: string): Reply => ({ status: 200, body });
const json = (v: unknown): Reply => ({ status: 200, body: JSON.stringify(v), json: true });
const notFound = (): Reply => ({ status: 404, body: 'Not Found\n' });

/**
 * The metadata server containers reach as metadata.google.internal / GCE_METADATA_HOST. The caller is
 * identified only by its source address (each instance has its own loopback address, which a
 * container cannot choose), so it gets its own service account's tokens and nobody else's.
 */
export class MetadataServer {
  private readonly instances = new Map<string, InstanceIdentity>();
  private readonly cache = new Map<string, { value: string; until: number }>();
  private readonly server: Server;
  /** Listeners on INSTANCE_ADDRESS:instancePort, one per instance (see MetadataFront). */
  private readonly instanceListeners = new Map<string, TcpServer>();
  /** Connections accepted on an instance's own listener: the caller is that instance. */
  private readonly callerOf = new WeakMap<Socket, string>();

  constructor(
    private readonly minter: TokenMinter,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Also listen on each instance's own address at this port (80: metadata.google.internal). */
    private instancePort?: number,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  register(address: string, info: InstanceIdentity): void {
    const addr = normalizeAddress(address);
    this.instances.set(addr, { ...info });
    if (this.instancePort !== undefined && !this.instanceListeners.has(addr)) this.listenFor(addr);
  }

  unregister(address: string): void {
    const addr = normalizeAddress(address);
    this.instances.delete(addr);
    const l = this.instanceListeners.get(addr);
    this.instanceListeners.delete(addr);
    if (l) void closeTcp(l);
  }

  /**
   * ADDRESS:instancePort for one instance, so the port-80 front (whichever installation holds it)
   * reaches this server for this instance's connections. Failure is logged, not fatal: the instance
   * still has GCE_METADATA_HOST. EADDRINUSE here means another installation owns the same address.
   */
  private listenFor(addr: string): void {
    const l = createTcpServer((socket) => {
      this.callerOf.set(socket, addr);
      this.server.emit('connection', socket);
    });
    this.instanceListeners.set(addr, l);
    listenTcp(l, addr, this.instancePort!).catch((err: unknown) => {
      if (this.instanceListeners.get(addr) === l) this.instanceListeners.delete(addr);
      this.log.warn({ err, address: addr }, 'metadata: no port-80 listener for this instance');
    });
  }

  /** No per-instance listeners (port 80 cannot be bound here). */
  disableInstancePort(): void {
    this.instancePort = undefined;
  }

  /** Instance addresses with their own listener (tests, doctor). */
  listeningFor(address: string): boolean {
    return this.instanceListeners.get(normalizeAddress(address))?.listening ?? false;
  }

  /** The instance that owns a source address, if any (also how the ingress tells inside from outside). */
  lookup(address: string | undefined): InstanceIdentity | undefined {
    return this.instances.get(normalizeAddress(address));
  }

  async start(host: string, port: number): Promise<AddressInfo> {
    return listen(this.server, host, port);
  }

  async dispose(): Promise<void> {
    const listeners = [...this.instanceListeners.values()];
    this.instanceListeners.clear();
    await Promise.all(listeners.map((l) => closeTcp(l)));
    if (this.server.listening) await closeServer(this.server, 1000);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reply: Reply;
    try {
      reply = await this.route(req);
    } catch (e) {
      if (!isTarmacError(e)) this.log.error({ err: e }, 'metadata server error');
      reply = { status: isTarmacError(e) && e.code === 'NOT_FOUND' ? 404 : 500, body: 'metadata error\n' };
    }
    res.writeHead(reply.status, {
      'metadata-flavor': 'Google',
      'content-type': reply.json ? 'application/json' : 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(reply.body),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : reply.body);
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, body: 'Method Not Allowed\n' };
    if (req.headers['x-forwarded-for'] !== undefined)
      return { status: 403, body: 'Forwarded requests are refused.\n' };
    if (req.headers['metadata-flavor'] !== 'Google') {
      return { status: 403, body: 'Missing Metadata-Flavor:Google header.\n' };
    }
    const inst = this.lookup(this.callerOf.get(req.socket) ?? req.socket.remoteAddress);
    if (!inst) return { status: 403, body: 'This address is not a tarmac instance.\n' };
    const url = new URL(req.url ?? '/', 'http://metadata');
    if (url.pathname === '/') return text('computeMetadata/\n');
    if (url.pathname === '/computeMetadata/' || url.pathname === '/computeMetadata/v1') return text('v1/\n');
    if (!url.pathname.startsWith(PREFIX)) return notFound();
    const path = url.pathname.slice(PREFIX.length).replace(/\/+$/, '');
    const q = url.searchParams;
    const recursive = q.get('recursive') === 'true';
    const r = await this.resolve(inst, path, q, recursive);
    if (!r) return notFound();
    if (q.get('alt') === 'json' && !r.json && r.status === 200) return json(r.body);
    return r;
  }

  private async resolve(
    inst: InstanceIdentity,
    path: string,
    q: URLSearchParams,
    recursive: boolean,
  ): Promise<Reply | undefined> {
    const project = { projectId: inst.project, numericProjectId: Number(inst.projectNumber) };
    const zone = `projects/${inst.projectNumber}/zones/${inst.region}-1`;
    const region = `projects/${inst.projectNumber}/regions/${inst.region}`;
    const sa = { aliases: ['default'], email: inst.serviceAccountEmail, scopes: [CLOUD_PLATFORM] };
    const accounts = { default: sa, [inst.serviceAccountEmail]: sa };
    const instance = { id: inst.instanceId, region, zone, serviceAccounts: accounts };
    const dirs: Record<string, unknown> = {
      '': { instance, project, universe: { universeDomain: 'googleapis.com' } },
      project,
      instance,
      'instance/service-accounts': accounts,
      universe: { universeDomain: 'googleapis.com' },
    };
    const values: Record<string, string> = {
      'project/project-id': inst.project,
      'project/numeric-project-id': inst.projectNumber,
      'instance/id': inst.instanceId,
      'instance/region': region,
      'instance/zone': zone,
      'universe/universe-domain': 'googleapis.com',
    };
    if (path in values) return text(values[path]!);
    if (path in dirs) return recursive ? json(dirs[path]) : text(listing(dirs[path]));
    const m = /^instance\/service-accounts\/([^/]+)(?:\/([^/]+))?$/.exec(path);
    if (!m || (m[1] !== 'default' && m[1] !== inst.serviceAccountEmail)) return undefined;
    const field = m[2];
    if (field === undefined) return recursive ? json(sa) : text(SA_FIELDS.map((f) => `${f}\n`).join(''));
    if (field === 'email') return text(inst.serviceAccountEmail);
    if (field === 'aliases') return text('default\n');
    if (field === 'scopes') return text(`${CLOUD_PLATFORM}\n`);
    if (field === 'token') return this.token(inst, q);
    if (field === 'identity') return this.identity(inst, q);
    return undefined;
  }

  private async token(inst: InstanceIdentity, q: URLSearchParams): Promise<Reply> {
    const scopes = (q.get('scopes') ?? CLOUD_PLATFORM)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const key = `a|${inst.serviceAccountEmail}|${scopes.join(' ')}`;
    let hit = this.fresh(key);
    if (!hit) {
      const t = await this.minter.accessToken(inst.serviceAccountEmail, scopes);
      hit = { value: t.token, until: t.expiresAt };
      this.cache.set(key, hit);
    }
    const expiresIn = Math.max(0, Math.floor((hit.until - this.clock.now()) / 1000));
    return json({ access_token: hit.value, expires_in: expiresIn, token_type: 'Bearer' });
  }

  private async identity(inst: InstanceIdentity, q: URLSearchParams): Promise<Reply> {
    const audience = q.get('audience') ?? '';
    if (audience === '') return { status: 400, body: 'non-empty audience parameter required\n' };
    const full = q.get('format') === 'full';
    const key = `i|${inst.serviceAccountEmail}|${full}|${audience}`;
    const hit = this.fresh(key);
    if (hit) return text(hit.value);
    const token = await this.minter.idToken(inst.serviceAccountEmail, audience, { includeEmail: full });
    this.cache.set(key, { value: token, until: this.clock.now() + 3600_000 });
    if (this.cache.size > 10_000) this.cache.clear();
    return text(token);
  }

  /** A cached token with at least five minutes left, as Google's server hands out. */
  private fresh(key: string): { value: string; until: number } | undefined {
    const hit = this.cache.get(key);
    return hit && hit.until - this.clock.now() > 300_000 ? hit : undefined;
  }
}

function listing(dir: unknown): string {
  return Object.entries(dir as Record<string, unknown>)
    .map(([k, v]) =>
      typeof v === 'object' && v !== null && !Array.isArray(v) ? `${kebab(k)}/\n` : `${kebab(k)}\n`,
    )
    .join('');
}

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
