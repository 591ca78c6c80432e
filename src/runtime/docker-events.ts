import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { ContainerEvent, ContainerState, Watch } from './engine.ts';
import { jsonMessages } from './streams.ts';

interface EngineEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * Follows the engine's event stream for container start/die/oom of containers carrying `labels`.
 * A die is completed with the exit code and OOMKilled from inspect (Podman's compat events carry
 * neither reliably), and reported as 'oom' then 'die' when the kernel killed it. Reconnects when
 * the stream drops, resuming from the last event time.
 */
export function watchEvents(
  engine: { docker: Docker; inspect(id: string): Promise<ContainerState> },
  filters: string[],
  labels: Record<string, string>,
  onEvent: (e: ContainerEvent) => void,
): Watch {
  let closed = false;
  let stream: Readable | undefined;
  let since = Math.floor(Date.now() / 1000) - 1;
  const seen = new Set<string>();
  const oomed = new Set<string>();

  const handle = async (ev: EngineEvent): Promise<void> => {
    const action = (ev.Action ?? ev.status ?? '').split(':')[0];
    const id = ev.Actor?.ID ?? ev.id;
    if (ev.Type !== 'container' || !id || !action) return;
    if (ev.time) since = Math.max(since, ev.time);
    const attrs = ev.Actor?.Attributes ?? {};
    const evLabels = Object.fromEntries(Object.entries(labels).map(([k]) => [k, attrs[k] ?? '']));
    if (!Object.entries(labels).every(([k, v]) => attrs[k] === v)) return;
    const key = `${id}:${action}:${ev.time ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (seen.size > 10_000) seen.clear();
    if (action === 'start') return onEvent({ id, type: 'start', labels: evLabels });
    if (action === 'oom') {
      if (!oomed.has(id)) onEvent({ id, type: 'oom', labels: evLabels });
      oomed.add(id);
      return;
    }
    if (action !== 'die') return;
    let exitCode = attrs.exitCode !== undefined ? Number(attrs.exitCode) : undefined;
    let oom = false;
    let allLabels = evLabels;
    try {
      const st = await engine.inspect(id);
      exitCode = st.exitCode ?? exitCode;
      oom = st.oomKilled;
      allLabels = st.labels;
    } catch {
      // Already removed: report what the event said.
    }
    if (closed) return;
    if (oom && !oomed.has(id)) onEvent({ id, type: 'oom', labels: allLabels });
    oomed.delete(id);
    onEvent({ id, type: 'die', exitCode, labels: allLabels });
  };

  const connect = async (): Promise<void> => {
    while (!closed) {
      try {
        const s = (await engine.docker.getEvents({
          since,
          // No event-name filter: Podman matches its own names ("died"), not Docker's ("die").
          filters: { type: ['container'], label: filters },
        })) as unknown as Readable;
        if (closed) {
          s.destroy();
          return;
        }
        stream = s;
        // Events are handled one at a time, in order: a die's inspect finishes before the next.
        for await (const m of jsonMessages(s)) await handle(m as EngineEvent);
      } catch {
        // Dropped connection or engine restart: retry below.
      }
      if (!closed) await new Promise((r) => setTimeout(r, 500).unref());
    }
  };
  void connect();
  return {
    close(): void {
      closed = true;
      stream?.destroy();
    },
  };
}
