/** Kubernetes quantities (memory, cpu) and protobuf Durations, as Cloud Run accepts them. */

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/;

/** Parses a Kubernetes quantity ("512Mi", "1G", "0.5", "1e9", "1000m"); undefined when malformed. */
export function parseQuantity(text: string): number | undefined {
  const m = QUANTITY.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (!Number.isFinite(base)) return undefined;
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? '']!;
}

/** Memory in bytes from a quantity; undefined when malformed or fractional bytes. */
export function parseMemory(text: string): number | undefined {
  const q = parseQuantity(text);
  if (q === undefined || q < 0) return undefined;
  return Math.round(q);
}

/** CPU in cores from "1", "2", "0.5", "1000m"; undefined when malformed. */
export function parseCpu(text: string): number | undefined {
  const q = parseQuantity(text);
  if (q === undefined || q <= 0) return undefined;
  return Math.round(q * 1000) / 1000;
}

const DURATION = /^(\d+)(?:\.(\d{1,9}))?s$/;

/** Seconds from a protobuf Duration string ("300s", "3.5s"); undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) + (m[2] ? Number(`0.${m[2]}`) : 0);
}

/** The Duration string for a number of seconds. */
export function formatDuration(seconds: number): string {
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(3).replace(/0+$/, '')}s`;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
