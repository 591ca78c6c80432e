import type { HttpClient } from './http.ts';

/** A Cloud Logging entry as tarmac serves it (only the fields clients read are typed). */
export interface LogEntry {
  insertId?: string;
  logName?: string;
  resource?: { type?: string; labels?: Record<string, string> };
  timestamp?: string;
  severity?: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  httpRequest?: { requestMethod?: string; requestUrl?: string; status?: number; latency?: string };
  [k: string]: unknown;
}

/** One prom-client metric in /metrics.json. */
export interface MetricJson {
  name: string;
  type: string;
  help?: string;
  values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
}

/** Logging v2 (entries:list, entries:tail) and tarmac's metrics endpoint. */
export class LoggingClient {
  constructor(readonly http: HttpClient) {}

  async list(
    project: string,
    opts: { filter?: string; orderBy?: string; pageSize?: number } = {},
  ): Promise<LogEntry[]> {
    const r = await this.http.request<{ entries?: LogEntry[] }>('POST', '/v2/entries:list', {
      body: { resourceNames: [`projects/${project}`], ...opts },
    });
    return r.entries ?? [];
  }

  /**
   * Follows new entries (server-sent events) until `signal` aborts; calls `onEntry` for each.
   * Resolves once the stream is open, so callers know later entries will arrive.
   */
  async tail(
    project: string,
    filter: string,
    onEntry: (e: LogEntry) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.http.fetch('GET', '/v2/entries:tail', {
      query: { resourceNames: `projects/${project}`, filter: filter || undefined },
      headers: { accept: 'text/event-stream' },
      signal,
    });
    if (!res.ok || !res.body) throw new Error(`entries:tail answered ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buf = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const event = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = event
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (data) onEntry(JSON.parse(data) as LogEntry);
          }
        }
      } catch {
        // aborted: the caller stopped following
      }
    })();
  }

  /** The platform's metrics as JSON (prom-client's shape). */
  async metrics(project?: string): Promise<MetricJson[]> {
    const r = await this.http.get<{ metrics: MetricJson[] }>('/metrics.json', { project });
    return r.metrics;
  }
}
