import { api, message } from './api.ts';
import { h, notice, svg } from './dom.ts';
import { pointBetween, sampleOf, type Point, type Sample } from './series.ts';

const EVERY_MS = 3000;
const KEEP = 100;
const W = 320;
const H = 136;
/** The x axis sits above the time labels and the legend. */
const BASE = H - 30;
const PAD = 28;

interface Line {
  key: keyof Point;
  label: string;
  color: string;
}

const CHARTS: { title: string; unit: string; lines: Line[] }[] = [
  {
    title: 'Request count',
    unit: 'requests',
    lines: [{ key: 'requests', label: 'requests', color: '#1a73e8' }],
  },
  {
    title: 'Request latency',
    unit: 'ms',
    lines: [
      { key: 'p50', label: 'p50', color: '#188038' },
      { key: 'p95', label: 'p95', color: '#e37400' },
      { key: 'p99', label: 'p99', color: '#d93025' },
    ],
  },
  {
    title: 'Instance count',
    unit: 'instances',
    lines: [{ key: 'instances', label: 'instances', color: '#9334e6' }],
  },
  {
    title: 'Cold starts',
    unit: 'starts',
    lines: [{ key: 'coldStarts', label: 'cold starts', color: '#12b5cb' }],
  },
];

/** The y axis's top value in at most four characters (the axis gutter is narrow). */
function axisLabel(v: number): string {
  if (v >= 1000) return `${Math.round(v / 100) / 10}k`;
  return v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

function clock(t: number): string {
  return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** One SVG line chart with axes, drawn from the points; its accessible name states the latest values. */
export function chart(spec: (typeof CHARTS)[number], points: Point[]): SVGElement {
  const peak = Math.max(0, ...points.flatMap((p) => spec.lines.map((l) => p[l.key])));
  const max = Math.max(1, peak);
  const t0 = points[0]?.t ?? 0;
  const t1 = Math.max(t0 + 1, points[points.length - 1]?.t ?? 1);
  const x = (t: number): number => PAD + ((t - t0) / (t1 - t0)) * (W - PAD - 6);
  const y = (v: number): number => BASE - (v / max) * (BASE - 10);
  const last = points[points.length - 1];
  const label = `${spec.title}: ${last ? spec.lines.map((l) => `${l.label} ${Math.round(last[l.key] * 10) / 10}`).join(', ') : 'no data yet'} ${spec.unit}`;
  const paths = spec.lines.map((l) =>
    svg('polyline', {
      points: points.map((p) => `${x(p.t).toFixed(1)},${y(p[l.key]).toFixed(1)}`).join(' '),
      fill: 'none',
      stroke: l.color,
      'stroke-width': 2,
      class: `line line-${String(l.key)}`,
    }),
  );
  // Few points: mark each one, so a single sample is visible before there is a line.
  const dots =
    points.length > 20
      ? []
      : spec.lines.flatMap((l) =>
          points.map((p) =>
            svg('circle', { cx: x(p.t).toFixed(1), cy: y(p[l.key]).toFixed(1), r: 2.5, fill: l.color }),
          ),
        );
  const axis = [
    svg('line', { x1: PAD, y1: BASE, x2: W - 4, y2: BASE, stroke: '#999' }),
    svg('line', { x1: PAD, y1: 8, x2: PAD, y2: BASE, stroke: '#999' }),
  ];
  const text = (tx: number, ty: number, s: string, anchor = 'end'): SVGElement => {
    const t = svg('text', { x: tx, y: ty, 'font-size': 10, 'text-anchor': anchor, fill: '#555' });
    t.textContent = s;
    return t;
  };
  const legend = spec.lines.map((l, i) => {
    const t = text(PAD + 6 + i * 70, H - 2, `■ ${l.label}`, 'start');
    t.setAttribute('fill', l.color);
    return t;
  });
  const title = svg('title');
  title.textContent = label;
  return svg(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': label,
      class: 'chart',
      'data-points': points.length,
      'data-peak': peak,
    },
    title,
    ...axis,
    text(PAD - 3, 14, axisLabel(max)),
    text(PAD - 3, BASE, '0'),
    ...(points.length
      ? [text(PAD, BASE + 12, clock(t0), 'start'), text(W - 6, BASE + 12, clock(t1), 'end')]
      : [text((W + PAD) / 2, BASE - 40, 'collecting data…', 'middle')]),
    ...paths,
    ...dots,
    ...legend,
  );
}

/** Samples /metrics.json every few seconds into a small in-page time series and redraws the charts. */
export function chartsPanel(project: string, service: string): { el: HTMLElement; stop(): void } {
  const grid = h('div', { class: 'charts' });
  const state = h('div', {});
  const points: Point[] = [];
  let prev: Sample | undefined;
  const draw = (): void => {
    grid.replaceChildren(
      ...CHARTS.map((c) => h('figure', {}, h('figcaption', {}, `${c.title} (${c.unit})`), chart(c, points))),
    );
  };
  const tick = async (): Promise<void> => {
    try {
      const s = sampleOf(await api.logging.metrics(project), service, Date.now());
      if (prev) points.push(pointBetween(prev, s));
      if (points.length > KEEP) points.shift();
      prev = s;
      state.replaceChildren();
      draw();
    } catch (e) {
      state.replaceChildren(notice(message(e), 'alert'));
    }
  };
  draw();
  void tick();
  const timer = setInterval(() => void tick(), EVERY_MS);
  return { el: h('div', {}, state, grid), stop: () => clearInterval(timer) };
}
