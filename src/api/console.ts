import { randomBytes, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TarmacError, readJson, sendJson, sendText, type Router } from '../shared/index.ts';
import type { Plugin } from 'esbuild';
import type { RouteModule } from './server.ts';

const SESSION_COOKIE = 'tarmac_session';
const CSRF_COOKIE = 'tarmac_csrf';
const CSRF_HEADER = 'x-csrf-token';
const LINK_TTL_MS = 5 * 60_000;
const SESSION_TTL_MS = 12 * 3600_000;

interface Session {
  bearer: string;
  csrf: string;
  expires: number;
}

/** Checks a bearer credential the way every API call does; resolves only when it is valid. */
export type BearerCheck = (authorization: string) => Promise<unknown>;

/**
 * Browser sessions for the console. A session (HttpOnly, SameSite=Strict cookie) maps to the
 * principal's bearer credential, held here only; every API call made with the cookie is authorized by
 * IAM exactly as the same call with that bearer. Writes need the double-submit CSRF header.
 */
export class ConsoleSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly links = new Map<string, { bearer: string; expires: number; reusable?: boolean }>();

  constructor(
    private readonly check: BearerCheck,
    private readonly now: () => number = Date.now,
  ) {}

  /** A one-time login link token standing for the caller's own bearer credential. */
  createLink(bearer: string): string {
    const t = randomBytes(24).toString('base64url');
    this.links.set(t, { bearer, expires: this.now() + LINK_TTL_MS });
    return t;
  }

  /**
   * The link `tarmac serve` prints at start: reusable until the process stops (like a notebook
   * server's token URL), so it works in any browser on the machine; whoever can read the process's
   * output could already read TARMAC_HOME/credentials.json.
   */
  createStartLink(bearer: string): string {
    const t = randomBytes(24).toString('base64url');
    this.links.set(t, { bearer, expires: Number.POSITIVE_INFINITY, reusable: true });
    return t;
  }

  consumeLink(token: string): string | undefined {
    const l = this.links.get(token);
    if (!l?.reusable) this.links.delete(token);
    return l && l.expires > this.now() ? l.bearer : undefined;
  }

  open(bearer: string): { id: string; csrf: string } {
    const id = randomBytes(24).toString('base64url');
    const csrf = randomBytes(18).toString('base64url');
    this.sessions.set(id, { bearer, csrf, expires: this.now() + SESSION_TTL_MS });
    return { id, csrf };
  }

  close(id: string): void {
    this.sessions.delete(id);
  }

  /**
   * Called before routing: a request without Authorization but with a session cookie gets the
   * session's bearer. Returns an error for a write whose CSRF header does not match.
   */
  apply(req: IncomingMessage): TarmacError | undefined {
    if (req.headers.authorization) return undefined;
    const cookies = parseCookies(req.headers.cookie);
    const id = cookies[SESSION_COOKIE];
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s || s.expires <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      const h = req.headers[CSRF_HEADER];
      if (typeof h !== 'string' || !same(h, s.csrf)) {
        return new TarmacError('PERMISSION_DENIED', 'missing or wrong CSRF token', { reason: 'CSRF' });
      }
    }
    req.headers.authorization = `Bearer ${s.bearer}`;
    return undefined;
  }

  /** Throws the API's error when the bearer credential is not valid. */
  async signInCheck(bearer: string): Promise<void> {
    await this.check(`Bearer ${bearer}`);
  }

  /** Validates a credential, then answers with the session cookies set. */
  async signIn(res: ServerResponse, bearer: string): Promise<void> {
    await this.signInCheck(bearer);
    const { id, csrf } = this.open(bearer);
    res.setHeader('set-cookie', [
      `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`,
      `${CSRF_COOKIE}=${csrf}; Path=/; SameSite=Strict`,
    ]);
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tarmac console</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/console/app.css"></head>
<body><a class="skip" href="#main">Skip to content</a><div id="app"></div>
<script type="module" src="/console/app.js"></script></body></html>`;

let bundle: Promise<{ js: string; css: string }> | undefined;

/** Bundles src/console with esbuild on first use (once per process); node-only imports become stubs. */
function buildBundle(): Promise<{ js: string; css: string }> {
  bundle ??= (async () => {
    const esbuild = await import('esbuild');
    const entry = fileURLToPath(new URL('../console/main.ts', import.meta.url));
    const css = fileURLToPath(new URL('../console/app.css', import.meta.url));
    const stub: Plugin = {
      name: 'node-stubs',
      setup(b) {
        b.onResolve({ filter: /^(node:|pino$)/ }, (a) => ({ path: a.path, namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({
          contents: 'module.exports = {}',
          loader: 'js',
        }));
      },
    };
    const [js, style] = await Promise.all([
      esbuild.build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        plugins: [stub],
      }),
      esbuild.build({ entryPoints: [css], bundle: true, write: false, minify: true }),
    ]);
    return { js: js.outputFiles[0]!.text, css: style.outputFiles[0]!.text };
  })();
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

/** The sign-in path for a link token. */
export function loginPath(token: string): string {
  return `/console/login?token=${token}`;
}

function bearerOf(req: IncomingMessage): string {
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Bearer ')) throw new TarmacError('UNAUTHENTICATED', 'a bearer token is required');
  return h.slice(7);
}

/** The console's pages, bundle, login links and sign-in. */
export function consoleRoutes(
  sessions: ConsoleSessions,
  defaults: { project: string; region: string },
): RouteModule {
  return (router: Router) => {
    router.add('GET', '/console/api/config', (_req, res) => sendJson(res, 200, defaults));
    const page = (_req: IncomingMessage, res: ServerResponse): void => sendText(res, 200, PAGE, 'text/html');
    router.add('GET', '/', (_req, res) => {
      res.writeHead(302, { location: '/console/' }).end();
    });
    router.add('GET', '/console', page);
    router.add('GET', /^\/console\/(?!app\.|login|api\/).*$/, page);
    router.add('GET', '/console/app.js', async (_req, res) =>
      sendText(res, 200, (await buildBundle()).js, 'text/javascript'),
    );
    router.add('GET', '/console/app.css', async (_req, res) =>
      sendText(res, 200, (await buildBundle()).css, 'text/css'),
    );
    // The CLI (`tarmac console`) asks for a one-time link with its own credential.
    router.add('POST', '/console/api/login-links', async (req, res) => {
      const bearer = bearerOf(req);
      await sessions.signInCheck(bearer);
      const token = sessions.createLink(bearer);
      sendJson(res, 200, { path: loginPath(token) });
    });
    router.add('GET', '/console/login', async (req, res) => {
      const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? '';
      const bearer = sessions.consumeLink(token);
      if (!bearer) {
        res.writeHead(302, { location: '/console/?login=expired' }).end();
        return;
      }
      await sessions.signIn(res, bearer);
      res.writeHead(302, { location: '/console/' }).end();
    });
    router.add('POST', '/console/api/session', async (req, res) => {
      const body = (await readJson(req)) as { accessToken?: unknown };
      if (typeof body.accessToken !== 'string' || !body.accessToken) {
        throw new TarmacError('INVALID_ARGUMENT', 'accessToken is required', { reason: 'MISSING_TOKEN' });
      }
      await sessions.signIn(res, body.accessToken);
      sendJson(res, 200, {});
    });
    router.add('POST', '/console/api/logout', (req, res) => {
      const id = parseCookies(req.headers.cookie)[SESSION_COOKIE];
      if (id) sessions.close(id);
      res.setHeader('set-cookie', [
        `${SESSION_COOKIE}=; Path=/; Max-Age=0`,
        `${CSRF_COOKIE}=; Path=/; Max-Age=0`,
      ]);
      sendJson(res, 200, {});
    });
  };
}
