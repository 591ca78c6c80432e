import { TarmacError, type FieldViolation } from '../shared/index.ts';

export type Json = Record<string, unknown>;

/** Collects every field violation of one request so the user sees them all at once. */
export class Violations {
  readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  /** Throws INVALID_ARGUMENT with a google.rpc.BadRequest listing each violation. */
  throwIfAny(reason = 'INVALID_SERVICE'): void {
    if (this.list.length === 0) return;
    const first = this.list[0]!;
    const more = this.list.length > 1 ? ` (and ${this.list.length - 1} more)` : '';
    throw new TarmacError('INVALID_ARGUMENT', `${first.field}: ${first.description}${more}`, {
      reason,
      fieldViolations: this.list,
    });
  }

  /** An object field; missing is undefined; anything but an object is a violation. */
  obj(v: unknown, field: string): Json | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.add(field, 'must be an object');
      return undefined;
    }
    return v as Json;
  }

  arr(v: unknown, field: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.add(field, 'must be a list');
      return [];
    }
    return v;
  }

  str(v: unknown, field: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.add(field, 'must be a string');
      return undefined;
    }
    return v;
  }

  strList(v: unknown, field: string): string[] | undefined {
    if (v === undefined || v === null) return undefined;
    const out: string[] = [];
    this.arr(v, field).forEach((x, i) => {
      const s = this.str(x, `${field}[${i}]`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  bool(v: unknown, field: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.add(field, 'must be true or false');
      return undefined;
    }
    return v;
  }

  /** An integer within [min, max]; JSON strings of integers are accepted as protobuf JSON allows. */
  int(v: unknown, field: string, min: number, max: number): number | undefined {
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      this.add(field, 'must be an integer');
      return undefined;
    }
    if (n < min || n > max) {
      this.add(field, `must be between ${min} and ${max}, got ${n}`);
      return undefined;
    }
    return n;
  }

  strMap(v: unknown, field: string): Record<string, string> {
    const o = this.obj(v, field);
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(o ?? {})) {
      const s = this.str(x, `${field}.${k}`);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
}
