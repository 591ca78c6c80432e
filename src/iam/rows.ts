import type { Db } from '../store/index.ts';

/** Project IDs and service account IDs follow one rule: 6-30 characters, a letter first, no trailing hyphen. */
export const RESOURCE_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

/** The first row a query returns, as an object; undefined when there is none. */
export function findOne<R, T>(db: Db, sql: string, map: (r: R) => T, ...params: unknown[]): T | undefined {
  const row = db.prepare(sql).get(...params) as R | undefined;
  return row ? map(row) : undefined;
}

/** Every row a query returns, as objects. */
export function findAll<R, T>(db: Db, sql: string, map: (r: R) => T, ...params: unknown[]): T[] {
  return (db.prepare(sql).all(...params) as R[]).map(map);
}
