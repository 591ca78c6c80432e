import { TarmacError, type StatusCode } from '../shared/index.ts';

/** Where the API is and who is calling: the base URL and a bearer token (or a function giving one). */
export interface ClientOptions {
  endpoint: string;
  token?: string | (() => Promise<string | undefined>);
  userAgent?: string;
  /** Extra headers on every request (the console's CSRF header). */
  headers?: () => Record<string, string>;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const STATUS_BY_HTTP: Record<number, StatusCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The error a google.rpc Status body (or a bare HTTP status) stands for. */
export function errorFromResponse(status: number, body: unknown): TarmacError {
  const err = (body as { error?: { message?: string; status?: string; details?: unknown[] } } | undefined)
    ?.error;
  const code = (err?.status as StatusCode | undefined) ?? STATUS_BY_HTTP[status] ?? 'UNKNOWN';
  const details = Array.isArray(err?.details) ? (err.details as Record<string, unknown>[]) : [];
  const info = details.find((d) => String(d['@type'] ?? '').endsWith('google.rpc.ErrorInfo'));
  const violations = details
    .filter((d) => String(d['@type'] ?? '').endsWith('google.rpc.BadRequest'))
    .flatMap((d) => (d.fieldViolations as { field: string; description: string }[] | undefined) ?? []);
  const message = err?.message ?? `HTTP ${status}`;
  return new TarmacError(code, message, {
    reason: typeof info?.reason === 'string' ? info.reason : code,
    fieldViolations: violations,
    details,
  });
}

/** JSON over HTTP to tarmac's API with a bearer token; errors come back as TarmacError. */
export class HttpClient {
  readonly endpoint: string;

  constructor(private readonly opts: ClientOptions) {
    this.endpoint = opts.endpoint.replace(/\/+$/, '');
  }

  async token(): Promise<string | undefined> {
    const t = this.opts.token;
    return typeof t === 'function' ? t() : t;
  }

  /** Absolute URL for an API path plus query parameters (undefined values are left out). */
  url(path: string, query: RequestOptions['query'] = {}): string {
    const u = new URL(this.endpoint + (path.startsWith('/') ? path : `/${path}`));
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Sends a request; JSON bodies are encoded, Buffer/string bodies are sent as they are. */
  async fetch(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      ...(this.opts.userAgent === undefined && typeof window !== 'undefined'
        ? {}
        : { 'user-agent': this.opts.userAgent ?? 'tarmac-client' }),
      ...this.opts.headers?.(),
      ...opts.headers,
    };
    const token = await this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Uint8Array | undefined;
    if (opts.body instanceof Uint8Array || typeof opts.body === 'string') body = opts.body;
    else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const url = this.url(path, opts.query);
    try {
      return await fetch(url, { method, headers, body: body as BodyInit | undefined, signal: opts.signal });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new TarmacError(
        'UNAVAILABLE',
        `cannot reach the tarmac API at ${this.endpoint} (${cause?.code ?? cause?.message ?? String(e)}). ` +
          'Start it with `tarmac serve`, or point the CLI at it with `tarmac config set core/api_endpoint URL`.',
        { reason: 'API_UNREACHABLE', cause: e },
      );
    }
  }

  /** A JSON request whose non-2xx answers throw the google.rpc error they carry. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.fetch(method, path, opts);
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      if (parsed === undefined) {
        throw errorFromResponse(res.status, {
          error: { message: text.slice(0, 200) || `HTTP ${res.status}` },
        });
      }
      throw errorFromResponse(res.status, parsed);
    }
    if (parsed === undefined) {
      throw new TarmacError(
        'INTERNAL',
        `${method} ${path}: the API answered with something that is not JSON`,
        {
          reason: 'BAD_RESPONSE',
        },
      );
    }
    return parsed as T;
  }

  get<T>(path: string, query?: RequestOptions['query']): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  /** Pages through a list method, concatenating `field` from each page. */
  async listAll<T>(path: string, field: string, query: RequestOptions['query'] = {}): Promise<T[]> {
    const out: T[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.get<Record<string, unknown>>(path, { ...query, pageToken });
      out.push(...((page[field] as T[] | undefined) ?? []));
      pageToken = (page.nextPageToken as string | undefined) || undefined;
    } while (pageToken);
    return out;
  }
}
