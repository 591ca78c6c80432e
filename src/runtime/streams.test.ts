import { describe, expect, it } from 'vitest';
import { LogDemuxer, LineSplitter } from './streams.ts';
import { isPlainHttpRegistry, splitRef } from './docker-images.ts';
import { normalizeRef } from './fake-images.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}

describe('LogDemuxer', () => {
  it('splits framed stdout/stderr into lines across chunk boundaries', () => {
    const d = new LogDemuxer(true);
    const all = Buffer.concat([
      frame(1, '2026-01-01T00:00:00.000Z hel'),
      frame(1, 'lo\n'),
      frame(2, '2026-01-01T00:00:01Z oops\n'),
    ]);
    const out = [
      ...d.push(all.subarray(0, 5)),
      ...d.push(all.subarray(5, 30)),
      ...d.push(all.subarray(30)),
      ...d.end(),
    ];
    expect(out).toEqual([
      { stream: 'stdout', time: '2026-01-01T00:00:00.000Z', text: 'hello' },
      { stream: 'stderr', time: '2026-01-01T00:00:01Z', text: 'oops' },
    ]);
  });

  it('treats unframed (TTY) output as stdout and flushes an unterminated last line', () => {
    const d = new LogDemuxer(false);
    const out = [...d.push(Buffer.from('plain text line\nand more')), ...d.end()];
    expect(out.map((l) => [l.stream, l.text])).toEqual([
      ['stdout', 'plain text line'],
      ['stdout', 'and more'],
    ]);
  });

  it('LineSplitter drops CR of CRLF', () => {
    const s = new LineSplitter();
    expect([...s.push('a\r\nb'), ...s.flush()]).toEqual(['a', 'b']);
  });
});

describe('image references', () => {
  it('splits repository and tag', () => {
    expect(splitRef('localhost:8091/p/img:v1')).toEqual({ repo: 'localhost:8091/p/img', tag: 'v1' });
    expect(splitRef('localhost:8091/p/img')).toEqual({ repo: 'localhost:8091/p/img', tag: 'latest' });
    expect(splitRef('gcr.io/p/i@sha256:abc')).toEqual({ repo: 'gcr.io/p/i', tag: 'sha256:abc' });
  });

  it('speaks plain HTTP only to loopback registries', () => {
    expect(isPlainHttpRegistry('localhost:8091/p/i:v1')).toBe(true);
    expect(isPlainHttpRegistry('127.0.0.1:5000/p/i')).toBe(true);
    expect(isPlainHttpRegistry('gcr.io/p/i')).toBe(false);
    expect(isPlainHttpRegistry('python:3.11-slim')).toBe(false);
  });

  it('normalizes short names as Docker does', () => {
    expect(normalizeRef('python:3.11-slim')).toBe('docker.io/library/python:3.11-slim');
    expect(normalizeRef('org/img')).toBe('docker.io/org/img:latest');
    expect(normalizeRef('localhost/bbtest')).toBe('localhost/bbtest:latest');
  });
});
