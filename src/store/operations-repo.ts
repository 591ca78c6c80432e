import type { Db } from './database.ts';

export type OperationKind = 'service.create' | 'service.update' | 'service.delete' | 'revision.delete';

export interface OperationRecord {
  /** The operation id (a UUID); the resource name is projects/P/locations/L/operations/ID. */
  id: string;
  projectId: string;
  region: string;
  kind: OperationKind;
  /** Full resource name of what the operation changes. */
  target: string;
  serviceUid: string;
  /** The service generation this operation waits for (0 for deletes). */
  generation: number;
  done: boolean;
  /** On completion: `response` (resource JSON) or `error` (google.rpc.Status JSON). */
  result: {
    response?: Record<string, unknown>;
    error?: { code: number; message: string; details: Record<string, unknown>[] };
  };
  createTime: string;
  endTime?: string;
}

interface Row {
  name: string;
  project_id: string;
  region: string;
  kind: OperationKind;
  target: string;
  service_uid: string;
  generation: number;
  done: number;
  result: string;
  create_time: string;
  end_time: string | null;
}

const toOp = (r: Row): OperationRecord => ({
  id: r.name,
  projectId: r.project_id,
  region: r.region,
  kind: r.kind,
  target: r.target,
  serviceUid: r.service_uid,
  generation: r.generation,
  done: r.done === 1,
  result: JSON.parse(r.result) as OperationRecord['result'],
  createTime: r.create_time,
  ...(r.end_time ? { endTime: r.end_time } : {}),
});

/** Long-running operations of the services control plane. */
export class OperationRepo {
  constructor(private readonly db: Db) {}

  insert(o: OperationRecord): void {
    this.db
      .prepare(
        `INSERT INTO run_operations (name, project_id, region, kind, target, service_uid, generation, done, result, create_time, end_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        o.id,
        o.projectId,
        o.region,
        o.kind,
        o.target,
        o.serviceUid,
        o.generation,
        o.done ? 1 : 0,
        JSON.stringify(o.result),
        o.createTime,
        o.endTime ?? null,
      );
  }

  get(projectId: string, region: string, id: string): OperationRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM run_operations WHERE project_id = ? AND region = ? AND name = ?')
      .get(projectId, region, id) as Row | undefined;
    return row ? toOp(row) : undefined;
  }

  list(projectId: string, region: string, after: string, limit: number): OperationRecord[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM run_operations WHERE project_id = ? AND region = ? AND name > ? ORDER BY name LIMIT ?',
        )
        .all(projectId, region, after, limit) as Row[]
    ).map(toOp);
  }

  /** Unfinished operations on a service. */
  pending(serviceUid: string): OperationRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM run_operations WHERE service_uid = ? AND done = 0 ORDER BY create_time')
        .all(serviceUid) as Row[]
    ).map(toOp);
  }

  finish(id: string, result: OperationRecord['result'], endTime: string): void {
    this.db
      .prepare('UPDATE run_operations SET done = 1, result = ?, end_time = ? WHERE name = ? AND done = 0')
      .run(JSON.stringify(result), endTime, id);
  }

  remove(projectId: string, region: string, id: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM run_operations WHERE project_id = ? AND region = ? AND name = ?')
        .run(projectId, region, id).changes > 0
    );
  }
}
