/**
 * The request heads the ingress's own listener (front.ts) serves itself: HTTP/1.1, a body framed by
 * Content-Length or none, no Upgrade or Expect, every header once, nothing malformed or unusual.
 * Anything else (undefined here) goes to Node's HTTP server, which answers it as before: chunked
 * uploads, 100-continue, WebSocket upgrades, HTTP/1.0, and the 400s of broken requests.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { trimOws } from './h1.ts';

export interface RequestHead {
  method: string;
  url: string;
  /** Lower-case names, values as received (latin1), in arrival order. */
  headers: IncomingHttpHeaders;
  /** Content-Length (0 when absent). */
  bodyLength: number;
  /** The client asked to close the connection after this response. */
  close: boolean;
}

/** Largest head served here (Node's default maxHeaderSize); larger goes to Node (431). */
export const MAX_REQUEST_HEAD = 16 * 1024;

/** A control character other than HTAB, or CR and LF not paired as a line end. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const BAD_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/;
const REQUEST_LINE = /^([A-Z]{1,20}) ([\x21-\x7e]+) HTTP\/1\.1$/;
/** A header field name (RFC 9110 token). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d{1,15}$/;

/** Parses a head (the bytes before CRLFCRLF, as latin1); undefined when Node's server must take it. */
export function parseRequestHead(text: string): RequestHead | undefined {
  if (BAD_CHARS.test(text)) return undefined;
  let eol = text.indexOf('\r\n');
  const m = REQUEST_LINE.exec(eol < 0 ? text : text.slice(0, eol));
  if (!m) return undefined;
  const headers: IncomingHttpHeaders = {};
  let bodyLength = 0;
  let close = false;
  while (eol >= 0) {
    const start = eol + 2;
    eol = text.indexOf('\r\n', start);
    const line = eol < 0 ? text.slice(start) : text.slice(start, eol);
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return undefined;
    const lower = name.toLowerCase();
    if (headers[lower] !== undefined) return undefined;
    const value = trimOws(line, colon + 1);
    switch (lower) {
      case 'content-length':
        if (!DIGITS.test(value)) return undefined;
        bodyLength = Number(value);
        break;
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return undefined;
      case 'connection':
        for (const t of value.toLowerCase().split(',')) {
          const token = t.trim();
          if (token === 'close') close = true;
          else if (token === 'upgrade') return undefined;
        }
        break;
    }
    headers[lower] = value;
  }
  return { method: m[1]!, url: m[2]!, headers, bodyLength, close };
}
