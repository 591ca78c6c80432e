/** Tiny DOM helpers: the console is plain TypeScript over the DOM, no framework. */
type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Creates an element; `on*` attributes become listeners, false/null attributes are left out. */
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

export function svg(
  tag: string,
  attrs: Record<string, string | number> = {},
  ...children: Node[]
): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(c);
  return el;
}

/** A labelled form field. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('small', {}, hint) : null,
  );
}

export function input(name: string, value = '', attrs: Attrs = {}): HTMLInputElement {
  return h('input', { name, value, ...attrs }) as HTMLInputElement;
}

export function select(name: string, options: [string, string][], value = ''): HTMLSelectElement {
  const s = h(
    'select',
    { name },
    ...options.map(([v, l]) => h('option', { value: v }, l)),
  ) as HTMLSelectElement;
  s.value = value;
  return s;
}

/**
 * A table with a caption and column headers; rows are arrays of cells. A caption that repeats the
 * section's heading is kept for screen readers but not shown (`quietCaption`).
 */
export function table(caption: string, heads: string[], rows: Child[][], quietCaption = false): HTMLElement {
  return h(
    'table',
    {},
    h('caption', { class: quietCaption ? 'sr-only' : null }, caption),
    h('thead', {}, h('tr', {}, ...heads.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** Status text announced to screen readers (role=status / alert). */
export function notice(text: string, kind: 'status' | 'alert' = 'status'): HTMLElement {
  return h('p', { role: kind, class: kind }, text);
}

export function when(iso: string | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '';
}

export function short(name: string | undefined): string {
  return (name ?? '').split('/').pop() ?? '';
}
