import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 7.6.1) that a proxy must not forward. */
const HOP_BY_HOP = new Set([
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

function spanHex(): string {
  return randomUUID().replace(/-/g, '').slice(0, 16);
}

/**
 * Sets traceparent and X-Cloud-Trace-Context consistently: keeps the caller's trace when either is
 * present (valid), otherwise starts one.
 */
export function setTrace(h: OutgoingHttpHeaders): void {
  const tp = typeof h.traceparent === 'string' ? TRACEPARENT.exec(h.traceparent) : null;
  const xc =
    typeof h['x-cloud-trace-context'] === 'string' ? CLOUD_TRACE.exec(h['x-cloud-trace-context']) : null;
  if (tp) {
    if (!xc) {
      const sampled = (parseInt(tp[3]!, 16) & 1) === 1 ? 1 : 0;
      h['x-cloud-trace-context'] = `${tp[1]}/${BigInt(`0x${tp[2]}`).toString()};o=${sampled}`;
    }
    return;
  }
  let trace: string;
  let span: string;
  let sampled = '01';
  if (xc) {
    trace = xc[1]!.toLowerCase();
    span = xc[2] ? BigInt(xc[2]).toString(16).padStart(16, '0').slice(-16) : spanHex();
    if (xc[3] === '0') sampled = '00';
  } else {
    trace = randomUUID().replace(/-/g, '');
    span = spanHex();
    h['x-cloud-trace-context'] = `${trace}/${BigInt(`0x${span}`).toString()};o=1`;
  }
  if (span === '0000000000000000') span = spanHex();
  h.traceparent = `00-${trace}-${span}-${sampled}`;
}

/** Headers for the upstream request: end-to-end headers plus X-Forwarded-* and trace context. */
export function upstreamHeaders(
  src: IncomingHttpHeaders,
  clientIp: string,
  keepUpgrade = false,
): OutgoingHttpHeaders {
  const h = endToEnd(src, keepUpgrade);
  const xff = src['x-forwarded-for'];
  h['x-forwarded-for'] = xff ? `${Array.isArray(xff) ? xff.join(', ') : xff}, ${clientIp}` : clientIp;
  h['x-forwarded-proto'] ??= 'http';
  if (src.host !== undefined) h['x-forwarded-host'] ??= src.host;
  setTrace(h);
  return h;
}
