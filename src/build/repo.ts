import type { Db } from '../store/index.ts';
import type { Build, BuildStatus } from '../model/index.ts';
import type { BuildPlan } from './plan.ts';

/** What the builder keeps per build: the public resource plus how to run it. */
export interface BuildRecord {
  build: Build;
  location: string;
  plan: BuildPlan;
  /** IAM member who created the build; pushes run with their rights. */
  createdBy?: string;
}

interface Row {
  data: string;
}

export interface ListQuery {
  projectId: string;
  location?: string;
  /** Exclusive cursor: rows strictly older than (createTime, id). */
  after?: { createTime: string; id: string };
  limit: number;
}

/** Build records in SQLite: indexed columns for lookups, the whole record as JSON. */
export class BuildRepo {
  constructor(private readonly db: Db) {}

  insert(r: BuildRecord): void {
    this.db
      .prepare(
        'INSERT INTO builds (id, project_id, location, status, create_time, data) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(r.build.id, r.build.projectId, r.location, r.build.status, r.build.createTime, JSON.stringify(r));
  }

  update(r: BuildRecord): void {
    this.db
      .prepare('UPDATE builds SET status = ?, data = ? WHERE id = ?')
      .run(r.build.status, JSON.stringify(r), r.build.id);
  }

  get(id: string): BuildRecord | undefined {
    const row = this.db.prepare('SELECT data FROM builds WHERE id = ?').get(id) as Row | undefined;
    return row ? (JSON.parse(row.data) as BuildRecord) : undefined;
  }

  withStatus(statuses: BuildStatus[]): BuildRecord[] {
    const marks = statuses.map(() => '?').join(',');
    const rows = this.db
      .prepare(`SELECT data FROM builds WHERE status IN (${marks}) ORDER BY create_time, id`)
      .all(...statuses) as Row[];
    return rows.map((r) => JSON.parse(r.data) as BuildRecord);
  }

  /** Newest first, as Cloud Build lists them. */
  list(q: ListQuery): BuildRecord[] {
    const where = ['project_id = ?'];
    const args: unknown[] = [q.projectId];
    if (q.location) {
      where.push('location = ?');
      args.push(q.location);
    }
    if (q.after) {
      where.push('(create_time < ? OR (create_time = ? AND id < ?))');
      args.push(q.after.createTime, q.after.createTime, q.after.id);
    }
    const rows = this.db
      .prepare(
        `SELECT data FROM builds WHERE ${where.join(' AND ')} ORDER BY create_time DESC, id DESC LIMIT ?`,
      )
      .all(...args, q.limit) as Row[];
    return rows.map((r) => JSON.parse(r.data) as BuildRecord);
  }
}
