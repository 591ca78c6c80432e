import type { RevisionRuntimeSpec, RevisionTemplate, ServiceSpec, ServiceStatus } from '../model/index.ts';
import type { Db } from './database.ts';

export interface ServiceRecord {
  uid: string;
  projectId: string;
  region: string;
  name: string;
  spec: ServiceSpec;
  generation: number;
  revisionSeq: number;
  status: ServiceStatus;
  etag: string;
  createTime: string;
  updateTime: string;
  creator: string;
  lastModifier: string;
  deleting: boolean;
}

export type RevisionState = 'PENDING' | 'READY' | 'FAILED';
/** Whether the data plane may hold the revision: `active` is written before asking it to start. */
export type DataPlaneState = 'none' | 'active' | 'retired';

export interface RevisionRecord {
  uid: string;
  serviceUid: string;
  projectId: string;
  region: string;
  service: string;
  name: string;
  seq: number;
  generation: number;
  template: RevisionTemplate & { launchStage: string };
  runtime: RevisionRuntimeSpec;
  state: RevisionState;
  dp: DataPlaneState;
  reason: string;
  message: string;
  logTail: string[];
  createTime: string;
  updateTime: string;
  /** When its deletion started (its service's, or its own); unset while it lives. */
  deleteTime?: string;
}

interface ServiceRow {
  uid: string;
  project_id: string;
  region: string;
  name: string;
  spec: string;
  generation: number;
  revision_seq: number;
  status: string;
  etag: string;
  create_time: string;
  update_time: string;
  creator: string;
  last_modifier: string;
  deleting: number;
}

interface RevisionRow {
  uid: string;
  service_uid: string;
  project_id: string;
  region: string;
  service: string;
  name: string;
  seq: number;
  generation: number;
  template: string;
  runtime: string;
  state: RevisionState;
  dp: DataPlaneState;
  reason: string;
  message: string;
  log_tail: string;
  create_time: string;
  update_time: string;
  delete_time: string | null;
  /** Joined from the service: its deletion counts as the revision's. */
  service_deleting?: number;
  service_update_time?: string;
}

const toService = (r: ServiceRow): ServiceRecord => ({
  uid: r.uid,
  projectId: r.project_id,
  region: r.region,
  name: r.name,
  spec: JSON.parse(r.spec) as ServiceSpec,
  generation: r.generation,
  revisionSeq: r.revision_seq,
  status: JSON.parse(r.status) as ServiceStatus,
  etag: r.etag,
  createTime: r.create_time,
  updateTime: r.update_time,
  creator: r.creator,
  lastModifier: r.last_modifier,
  deleting: r.deleting === 1,
});

const toRevision = (r: RevisionRow): RevisionRecord => ({
  uid: r.uid,
  serviceUid: r.service_uid,
  projectId: r.project_id,
  region: r.region,
  service: r.service,
  name: r.name,
  seq: r.seq,
  generation: r.generation,
  template: JSON.parse(r.template) as RevisionRecord['template'],
  runtime: JSON.parse(r.runtime) as RevisionRuntimeSpec,
  state: r.state,
  dp: r.dp,
  reason: r.reason,
  message: r.message,
  logTail: JSON.parse(r.log_tail) as string[],
  createTime: r.create_time,
  updateTime: r.update_time,
  ...deleteTimeOf(r),
});

function deleteTimeOf(r: RevisionRow): { deleteTime?: string } {
  const t = r.delete_time ?? (r.service_deleting ? r.service_update_time : undefined);
  return t ? { deleteTime: t } : {};
}

/** Services and their revisions (one aggregate: a revision never outlives its service's record). */
export class ServiceRepo {
  constructor(private readonly db: Db) {}

  /** Runs `fn` in one transaction (read-modify-write of desired state). */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** A live (not being deleted) service by name. */
  find(projectId: string, region: string, name: string): ServiceRecord | undefined {
    const row = this.db
      .prepare('SELECT * FROM run_services WHERE project_id = ? AND region = ? AND name = ? AND deleting = 0')
      .get(projectId, region, name) as ServiceRow | undefined;
    return row ? toService(row) : undefined;
  }

  byUid(uid: string): ServiceRecord | undefined {
    const row = this.db.prepare('SELECT * FROM run_services WHERE uid = ?').get(uid) as
      ServiceRow | undefined;
    return row ? toService(row) : undefined;
  }

  /**
   * Live services of a project and region after `after` (by name), at most `limit`; with
   * `deleting`, also those whose deletion is still in progress.
   */
  list(projectId: string, region: string, after: string, limit: number, deleting = false): ServiceRecord[] {
    return (
      this.db
        .prepare(
          'SELECT * FROM run_services WHERE project_id = ? AND region = ? AND (deleting = 0 OR ?) AND name > ? ORDER BY name LIMIT ?',
        )
        .all(projectId, region, deleting ? 1 : 0, after, limit) as ServiceRow[]
    ).map(toService);
  }

  /** Every service record, deleting ones included (the reconciler resumes from these). */
  allUids(): string[] {
    return (this.db.prepare('SELECT uid FROM run_services').all() as { uid: string }[]).map((r) => r.uid);
  }

  insert(s: ServiceRecord): void {
    this.db
      .prepare(
        `INSERT INTO run_services (uid, project_id, region, name, spec, generation, revision_seq, status, etag,
           create_time, update_time, creator, last_modifier, deleting)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.uid,
        s.projectId,
        s.region,
        s.name,
        JSON.stringify(s.spec),
        s.generation,
        s.revisionSeq,
        JSON.stringify(s.status),
        s.etag,
        s.createTime,
        s.updateTime,
        s.creator,
        s.lastModifier,
        s.deleting ? 1 : 0,
      );
  }

  /** Writes every mutable column of a service. */
  update(s: ServiceRecord): void {
    this.db
      .prepare(
        `UPDATE run_services SET spec = ?, generation = ?, revision_seq = ?, status = ?, etag = ?, update_time = ?,
           last_modifier = ?, deleting = ? WHERE uid = ?`,
      )
      .run(
        JSON.stringify(s.spec),
        s.generation,
        s.revisionSeq,
        JSON.stringify(s.status),
        s.etag,
        s.updateTime,
        s.lastModifier,
        s.deleting ? 1 : 0,
        s.uid,
      );
  }

  setStatus(uid: string, status: ServiceStatus): void {
    this.db.prepare('UPDATE run_services SET status = ? WHERE uid = ?').run(JSON.stringify(status), uid);
  }

  /** Removes a service record and its revisions. */
  remove(uid: string): void {
    this.db.prepare('DELETE FROM run_services WHERE uid = ?').run(uid);
  }

  insertRevision(r: RevisionRecord): void {
    this.db
      .prepare(
        `INSERT INTO run_revisions (uid, service_uid, project_id, region, service, name, seq, generation, template,
           runtime, state, dp, reason, message, log_tail, create_time, update_time)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.uid,
        r.serviceUid,
        r.projectId,
        r.region,
        r.service,
        r.name,
        r.seq,
        r.generation,
        JSON.stringify(r.template),
        JSON.stringify(r.runtime),
        r.state,
        r.dp,
        r.reason,
        r.message,
        JSON.stringify(r.logTail),
        r.createTime,
        r.updateTime,
      );
  }

  /** Records a revision's readiness (or failure) and data-plane state. */
  updateRevision(
    r: Pick<RevisionRecord, 'uid' | 'state' | 'dp' | 'reason' | 'message' | 'logTail' | 'updateTime'>,
  ): void {
    this.db
      .prepare(
        'UPDATE run_revisions SET state = ?, dp = ?, reason = ?, message = ?, log_tail = ?, update_time = ? WHERE uid = ?',
      )
      .run(r.state, r.dp, r.reason, r.message, JSON.stringify(r.logTail), r.updateTime, r.uid);
  }

  /** Marks a revision's deletion as started (it drains before its record goes). */
  markRevisionDeleted(uid: string, time: string): void {
    this.db.prepare('UPDATE run_revisions SET delete_time = ? WHERE uid = ?').run(time, uid);
  }

  setRevisionDp(uid: string, dp: DataPlaneState): void {
    this.db.prepare('UPDATE run_revisions SET dp = ? WHERE uid = ?').run(dp, uid);
  }

  /** A service's revisions, newest first. */
  revisions(serviceUid: string): RevisionRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM run_revisions WHERE service_uid = ? ORDER BY seq DESC')
        .all(serviceUid) as RevisionRow[]
    ).map(toRevision);
  }

  /** A revision of a live service by its id. */
  findRevision(projectId: string, region: string, name: string): RevisionRecord | undefined {
    const row = this.db
      .prepare(
        `SELECT r.* FROM run_revisions r JOIN run_services s ON s.uid = r.service_uid
         WHERE r.project_id = ? AND r.region = ? AND r.name = ? AND s.deleting = 0`,
      )
      .get(projectId, region, name) as RevisionRow | undefined;
    return row ? toRevision(row) : undefined;
  }

  /**
   * Revisions of live services in a region (`service` undefined = all), ordered by name after
   * `after`; with `deleted`, also those whose deletion (or their service's) is still in progress.
   */
  listRevisions(
    projectId: string,
    region: string,
    service: string | undefined,
    after: string,
    limit: number,
    deleted = false,
  ): RevisionRecord[] {
    const rows = this.db
      .prepare(
        `SELECT r.*, s.deleting AS service_deleting, s.update_time AS service_update_time
         FROM run_revisions r JOIN run_services s ON s.uid = r.service_uid
         WHERE r.project_id = ? AND r.region = ? AND ((s.deleting = 0 AND r.delete_time IS NULL) OR ?)
           AND (? IS NULL OR r.service = ?) AND r.name > ?
         ORDER BY r.name LIMIT ?`,
      )
      .all(
        projectId,
        region,
        deleted ? 1 : 0,
        service ?? null,
        service ?? null,
        after,
        limit,
      ) as RevisionRow[];
    return rows.map(toRevision);
  }

  removeRevision(uid: string): void {
    this.db.prepare('DELETE FROM run_revisions WHERE uid = ?').run(uid);
  }
}
