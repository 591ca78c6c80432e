import type { Readable } from 'node:stream';
import type { LogLine } from './engine.ts';

/** Splits a byte stream into lines, keeping an unterminated tail until more arrives. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const parts = text.split('\n');
    this.rest = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  flush(): string[] {
    const r = this.rest;
    this.rest = '';
    return r === '' ? [] : [r];
  }
}

/** Reads a stream of JSON messages (Docker's progress format: one object per line, or concatenated). */
export async function* jsonMessages(stream: Readable): AsyncGenerator<Record<string, unknown>> {
  const split = new LineSplitter();
  const parse = function* (lines: string[]): Generator<Record<string, unknown>> {
    for (const line of lines) {
      const t = line.trim();
      if (t === '') continue;
      // Podman sometimes writes several objects on one line ("}{"); split them apart.
      for (const piece of t.replace(/}\s*{/g, '}\n{').split('\n')) {
        try {
          yield JSON.parse(piece) as Record<string, unknown>;
        } catch {
          yield { stream: piece };
        }
      }
    }
  };
  for await (const chunk of stream) yield* parse(split.push(String(chunk)));
  yield* parse(split.flush());
}

type StreamName = LogLine['stream'];

/**
 * Demultiplexes the Docker log framing (8-byte header: stream type, 3 zero bytes, big-endian
 * length) into lines per stream. Falls back to raw stdout when the data is not framed (TTY).
 */
export class LogDemuxer {
  private buf: Buffer = Buffer.alloc(0);
  private framed: boolean | undefined;
  private readonly splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };

  constructor(private readonly timestamps: boolean) {}

  push(chunk: Buffer): LogLine[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.framed === undefined && this.buf.length >= 8) {
      const t = this.buf[0]!;
      this.framed =
        (t === 0 || t === 1 || t === 2) && this.buf[1] === 0 && this.buf[2] === 0 && this.buf[3] === 0;
    }
    if (this.framed === undefined) return [];
    const out: LogLine[] = [];
    if (!this.framed) {
      out.push(...this.lines('stdout', this.buf.toString('utf8')));
      this.buf = Buffer.alloc(0);
      return out;
    }
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + len) break;
      const stream: StreamName = this.buf[0] === 2 ? 'stderr' : 'stdout';
      out.push(...this.lines(stream, this.buf.subarray(8, 8 + len).toString('utf8')));
      this.buf = this.buf.subarray(8 + len);
    }
    return out;
  }

  end(): LogLine[] {
    const out: LogLine[] = [];
    if (this.framed === false || (this.framed === undefined && this.buf.length > 0)) {
      out.push(...this.lines('stdout', this.buf.toString('utf8')));
    }
    this.buf = Buffer.alloc(0);
    for (const s of ['stdout', 'stderr'] as const)
      out.push(...this.splitters[s].flush().map((l) => this.line(s, l)));
    return out;
  }

  private lines(stream: StreamName, text: string): LogLine[] {
    return this.splitters[stream].push(text).map((l) => this.line(stream, l));
  }

  private line(stream: StreamName, raw: string): LogLine {
    if (this.timestamps) {
      const sp = raw.indexOf(' ');
      if (sp > 0 && /^\d{4}-\d\d-\d\dT/.test(raw))
        return { stream, time: raw.slice(0, sp), text: raw.slice(sp + 1) };
    }
    return { stream, time: new Date().toISOString(), text: raw };
  }
}
