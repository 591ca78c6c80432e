import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 7.6.1) that a proxy must not forward. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  'http2-settings',
]);

function connectionTokens(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const v = Array.isArray(value) ? value.join(',') : value;
  if (v === 'keep-alive' || v === 'close' || v === '') return undefined;
  return new Set(v.split(',').map((t) => t.trim().toLowerCase()));
}

/** Copies end-to-end headers: drops hop-by-hop ones and those the Connection header names. */
export function endToEnd(src: IncomingHttpHeaders, keepUpgrade = false): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const named = connectionTokens(src.connection);
  for (const k in src) {
    if (HOP_BY_HOP.has(k)) continue;
    if (named?.has(k)) continue;
    out[k] = src[k];
  }
  if (keepUpgrade && src.upgrade !== undefined) {
    out.connection = 'Upgrade';
    out.upgrade = src.upgrade;
  }
  return out;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const CLOUD_TRACE = /^([0-9a-f]{32})(?:\/(\d+))?(?:;o=([01]))?$/i;

/** Random bytes drawn in blocks: one getrandom call per 170 traces instead of two per request. */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** The offset of `bytes` fresh random bytes in `pool`. */
function take(bytes: number): number {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  poolAt += bytes;
  return poolAt - bytes;
}

function randomHex(bytes: number): string {
  const at = take(bytes);
  return pool.toString('hex', at, at + bytes);
}

/**
 * A new span id as 16 hex digits and as the decimal X-Cloud-Trace-Context wants: 53 random bits
 * (never zero), so the decimal form is exact without BigInt.
 */
function newSpan(): { hex: string; dec: string } {
  const at = take(7);
  pool[at] = pool[at]! & 0x1f;
  if (pool.readUIntBE(at, 6) === 0 && pool[at + 6] === 0) pool[at + 6] = 1;
  const n = pool.readUIntBE(at, 3) * 0x1_0000_0000 + pool.readUInt32BE(at + 3);
  // The hex form from the bytes themselves (a 53-bit number's toString(16) is the slow double path).
  return { hex: `00${pool.toString('hex', at, at + 7)}`, dec: String(n) };
}

/**
 * The trace headers to send: keeps the caller's trace when either header is present (valid),
 * otherwise starts one; traceparent and X-Cloud-Trace-Context always agree.
 */
export function traceHeaders(
  traceparent: string | undefined,
  cloudTrace: string | undefined,
): { traceparent: string; cloudTrace: string } {
  const tp = traceparent === undefined ? null : TRACEPARENT.exec(traceparent);
  if (tp) {
    if (cloudTrace !== undefined && CLOUD_TRACE.test(cloudTrace)) return { traceparent: tp[0], cloudTrace };
    const sampled = (parseInt(tp[3]!, 16) & 1) === 1 ? 1 : 0;
    return {
      traceparent: tp[0],
      cloudTrace: `${tp[1]}/${BigInt(`0x${tp[2]}`).toString()};o=${sampled}`,
    };
  }
  const xc = cloudTrace === undefined ? null : CLOUD_TRACE.exec(cloudTrace);
  if (!xc) {
    const trace = randomHex(16);
    const span = newSpan();
    return { traceparent: `00-${trace}-${span.hex}-01`, cloudTrace: `${trace}/${span.dec};o=1` };
  }
  const trace = xc[1]!.toLowerCase();
  let span = xc[2] ? BigInt(xc[2]).toString(16).padStart(16, '0').slice(-16) : newSpan().hex;
  if (span === '0000000000000000') span = newSpan().hex;
  return { traceparent: `00-${trace}-${span}-${xc[3] === '0' ? '00' : '01'}`, cloudTrace: cloudTrace! };
}

function str(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Where forwarded headers go: a flat list, or straight into a request head. */
interface HeaderOut {
  add(name: string, value: string): void;
}

class ListOut implements HeaderOut {
  readonly list: string[] = [];
  add(name: string, value: string): void {
    this.list.push(name, value);
  }
}

class HeadOut implements HeaderOut {
  constructor(public s: string) {}
  add(name: string, value: string): void {
    this.s += `${name}: ${value}\r\n`;
  }
}

/** End-to-end headers of `src` plus X-Forwarded-* and trace context, into `out`. */
function forward(src: IncomingHttpHeaders, clientIp: string, keepUpgrade: boolean, out: HeaderOut): void {
  const named = connectionTokens(src.connection);
  for (const k in src) {
    if (HOP_BY_HOP.has(k) || named?.has(k)) continue;
    switch (k) {
      case 'x-forwarded-for':
      case 'traceparent':
      case 'x-cloud-trace-context':
        continue;
    }
    const v = src[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.add(k, x);
    else out.add(k, v);
  }
  if (keepUpgrade && src.upgrade !== undefined) {
    out.add('connection', 'Upgrade');
    out.add('upgrade', src.upgrade);
  }
  const xff = src['x-forwarded-for'];
  out.add('x-forwarded-for', xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${clientIp}` : clientIp);
  if (src['x-forwarded-proto'] === undefined) out.add('x-forwarded-proto', 'http');
  if (src.host !== undefined && src['x-forwarded-host'] === undefined) out.add('x-forwarded-host', src.host);
  const t = traceHeaders(str(src.traceparent), str(src['x-cloud-trace-context']));
  out.add('traceparent', t.traceparent);
  out.add('x-cloud-trace-context', t.cloudTrace);
}

/**
 * Headers for the upstream request as a flat [name, value, ...] list: end-to-end headers plus
 * X-Forwarded-* and trace context.
 */
export function upstreamHeaderList(
  src: IncomingHttpHeaders,
  clientIp: string,
  keepUpgrade = false,
): string[] {
  const out = new ListOut();
  forward(src, clientIp, keepUpgrade, out);
  return out.list;
}

/**
 * The upstream request's head, CRLFCRLF included, as one latin1 string (header values from Node's
 * parser are latin1): the request line, the forwarded headers, and `extra` (framing) if any.
 */
export function upstreamHead(
  method: string,
  url: string,
  src: IncomingHttpHeaders,
  clientIp: string,
  extra = '',
  keepUpgrade = false,
): string {
  const out = new HeadOut(`${method} ${url} HTTP/1.1\r\n`);
  forward(src, clientIp, keepUpgrade, out);
  return `${out.s}${extra}\r\n`;
}

/** Headers for the upstream request as an object (same content as upstreamHeaderList). */
export function upstreamHeaders(
  src: IncomingHttpHeaders,
  clientIp: string,
  keepUpgrade = false,
): OutgoingHttpHeaders {
  const list = upstreamHeaderList(src, clientIp, keepUpgrade);
  const h: OutgoingHttpHeaders = {};
  for (let i = 0; i < list.length; i += 2) {
    const k = list[i]!;
    const prev = h[k];
    h[k] =
      prev === undefined ? list[i + 1] : [...(Array.isArray(prev) ? prev : [String(prev)]), list[i + 1]!];
  }
  return h;
}
