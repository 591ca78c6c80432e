import type { LogEntry } from '../client/index.ts';
import { api, message } from './api.ts';
import { field, h, notice, select } from './dom.ts';

const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL'];
const MAX_LINES = 500;

function text(e: LogEntry): string {
  if (e.textPayload !== undefined) return e.textPayload;
  if (e.httpRequest) {
    const r = e.httpRequest;
    return `${r.requestMethod ?? ''} ${r.status ?? ''} ${r.latency ?? ''} ${r.requestUrl ?? ''}`;
  }
  return JSON.stringify(e.jsonPayload ?? {});
}

function line(e: LogEntry): HTMLElement {
  const sev = e.severity ?? 'DEFAULT';
  return h(
    'li',
    { class: `sev-${sev.toLowerCase()}` },
    h('time', { datetime: e.timestamp ?? '' }, e.timestamp ? new Date(e.timestamp).toLocaleTimeString() : ''),
    ' ',
    h('span', { class: 'sev' }, sev),
    ' ',
    text(e),
  );
}

/** Recent entries, then new ones live (entries:tail over SSE), filtered by minimum severity. */
export function logsPanel(
  project: string,
  service: string,
  extraFilter = `resource.labels.service_name="${service}"`,
): { el: HTMLElement; stop(): void } {
  const list = h('ol', {
    class: 'logs',
    'aria-label': 'Log entries',
    'aria-live': 'polite',
    'aria-relevant': 'additions',
  });
  const sev = select(
    'severity',
    SEVERITIES.map((s): [string, string] => [s, s === 'DEFAULT' ? 'All severities' : `${s} and above`]),
    'DEFAULT',
  );
  const state = h('div', {});
  let ctl = new AbortController();
  const add = (e: LogEntry): void => {
    list.appendChild(line(e));
    while (list.childElementCount > MAX_LINES) list.firstElementChild?.remove();
    list.scrollTop = list.scrollHeight;
  };
  const start = async (): Promise<void> => {
    ctl.abort();
    ctl = new AbortController();
    list.replaceChildren();
    const filter = sev.value === 'DEFAULT' ? extraFilter : `${extraFilter} AND severity>=${sev.value}`;
    try {
      const recent = await api.logging.list(project, { filter, orderBy: 'timestamp desc', pageSize: 100 });
      for (const e of recent.reverse()) add(e);
      await api.logging.tail(project, filter, add, ctl.signal);
      state.replaceChildren(notice('Streaming live.'));
    } catch (e) {
      state.replaceChildren(notice(message(e), 'alert'));
    }
  };
  sev.addEventListener('change', () => void start());
  void start();
  const el = h('div', {}, field('Minimum severity', sev), state, list);
  return { el, stop: () => ctl.abort() };
}
