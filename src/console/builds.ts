import { api, message } from './api.ts';
import { h, notice, table, when } from './dom.ts';
import type { Page } from './api.ts';

function duration(a?: string, b?: string): string {
  if (!a) return '';
  const ms = (b ? Date.parse(b) : Date.now()) - Date.parse(a);
  return `${Math.round(ms / 100) / 10}s`;
}

/** Builds list with status. */
export const buildsPage: Page = async (main, ctx) => {
  const builds = await api.builds.list(ctx.project);
  const rows = builds.map((b) => [
    h('a', { href: `#/builds/${encodeURIComponent(b.id ?? '')}` }, b.id ?? ''),
    h('span', { class: `st st-${(b.status ?? '').toLowerCase()}` }, b.status ?? ''),
    (b.images ?? []).join(', '),
    when(b.createTime),
    duration(b.startTime, b.finishTime),
  ]);
  main.append(
    h('h1', {}, 'Builds'),
    rows.length
      ? table(`Builds in ${ctx.project}`, ['Build', 'Status', 'Images', 'Created', 'Duration'], rows)
      : h('p', {}, 'No builds yet. Run `tarmac builds submit --tag IMAGE` in a source folder.'),
  );
};

async function* chunks(
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in body) {
    yield* body as AsyncIterable<Uint8Array>;
    return;
  }
  const r = (body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { value, done } = await r.read();
    if (done) return;
    yield value;
  }
}

/** One build: status and its log, followed live while it runs. */
export const buildPage: Page = async (main, ctx, [id]) => {
  const b = await api.builds.get(ctx.project, id!);
  const st = h('strong', { class: 'build-status' }, b.status ?? '');
  const log = h('pre', { class: 'buildlog', 'aria-label': 'Build log', tabindex: '0' });
  const state = h('div', { 'aria-live': 'polite' });
  main.append(
    h('h1', {}, `Build ${id}`),
    h('p', {}, 'Status: ', st, ' · images: ', (b.images ?? []).join(', ') || 'none'),
    h('h2', {}, 'Log'),
    state,
    log,
  );
  const ctl = new AbortController();
  void (async () => {
    try {
      const dec = new TextDecoder();
      const body = await api.builds.log(ctx.project, id!, { follow: true, signal: ctl.signal });
      for await (const c of chunks(body)) {
        log.textContent += dec.decode(c, { stream: true });
        log.scrollTop = log.scrollHeight;
      }
      const done = await api.builds.get(ctx.project, id!);
      st.textContent = done.status ?? '';
    } catch (e) {
      if (!ctl.signal.aborted) state.replaceChildren(notice(message(e), 'alert'));
    }
  })();
  return () => ctl.abort();
};
