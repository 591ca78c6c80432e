import type { Db } from '../store/index.ts';

export interface UploadRecord {
  id: string;
  repository: string;
  createdAt: number;
  updatedAt: number;
}

/** Upload sessions: which repository each belongs to and when it last moved (for expiry). */
export class UploadDb {
  constructor(private readonly db: Db) {}

  create(id: string, repository: string, now: number): void {
    this.db
      .prepare(
        'INSERT INTO registry_uploads (id, repository, size, created_at, updated_at) VALUES (?, ?, 0, ?, ?)',
      )
      .run(id, repository, now, now);
  }

  get(id: string): UploadRecord | undefined {
    const row = this.db.prepare('SELECT * FROM registry_uploads WHERE id = ?').get(id) as
      { id: string; repository: string; created_at: number; updated_at: number } | undefined;
    return (
      row && { id: row.id, repository: row.repository, createdAt: row.created_at, updatedAt: row.updated_at }
    );
  }

  touch(id: string, size: number, now: number): void {
    this.db.prepare('UPDATE registry_uploads SET size = ?, updated_at = ? WHERE id = ?').run(size, now, id);
  }

  delete(id: string): void {
    this.db.prepare('DELETE FROM registry_uploads WHERE id = ?').run(id);
  }

  /** Ids of sessions idle since before `cutoff`. */
  idleSince(cutoff: number): string[] {
    return (
      this.db.prepare('SELECT id FROM registry_uploads WHERE updated_at < ?').all(cutoff) as { id: string }[]
    ).map((r) => r.id);
  }

  exists(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM registry_uploads WHERE id = ?').get(id) !== undefined;
  }
}
