import {
  TRAFFIC_REVISION,
  Violations,
  parseServiceSpec,
  serviceIdProblem,
  type OperationOutput,
  type Principal,
  type ServiceOutput,
  type ServiceSpec,
  type ServiceStatus,
} from '../model/index.ts';
import type { OperationKind, OperationRecord, RevisionRecord, ServiceRecord } from '../store/index.ts';
import { TarmacError, isTarmacError, uuid } from '../shared/index.ts';
import type { ServicesContext } from './context.ts';
import { serviceNotFound } from './context.ts';
import type { ProjectRef } from './deps.ts';
import { buildRuntimeSpec, defaultServiceAccount } from './desired.ts';
import {
  autoRevisionId,
  booleanParam,
  decodePageToken,
  encodePageToken,
  pageSize,
  serviceName,
  type Location,
} from './names.ts';
import { applyUpdate, parseMask } from './patch.ts';
import { digestOf, withDigest } from './wiring.ts';
import { condition, makeEtag, renderOperation, renderService } from './render.ts';

type Obj = Record<string, unknown>;

export interface UpdateOptions {
  updateMask?: string | null;
  allowMissing?: boolean;
  validateOnly?: boolean;
}

interface WriteRequest {
  principal: Principal;
  project: ProjectRef;
  region: string;
  id: string;
  input: Obj;
  /** The record the update was computed from; undefined for a create. */
  base?: ServiceRecord;
  etag?: string;
  validateOnly: boolean;
  kind: OperationKind;
}

const sameTemplate = (a: object, b: object): boolean => {
  const strip = (t: object): string => JSON.stringify({ ...t, launchStage: undefined });
  return strip(a) === strip(b);
};

/** Create, get, list, update and delete of services: desired state in, operations out. */
export class ServiceCommands {
  constructor(
    private readonly ctx: ServicesContext,
    private readonly kick: (serviceUid: string) => void,
  ) {}

  async create(
    principal: Principal,
    loc: Location,
    serviceId: string,
    body: unknown,
    validateOnly = false,
  ): Promise<OperationOutput> {
    const problem = serviceIdProblem(serviceId);
    if (problem) {
      throw new TarmacError(
        'INVALID_ARGUMENT',
        `Invalid service ID ${JSON.stringify(serviceId)}: ${problem}.`,
        {
          reason: 'INVALID_SERVICE_ID',
          fieldViolations: [{ field: 'serviceId', description: problem }],
        },
      );
    }
    const project = await this.ctx.access(principal, loc, 'run.services.create', `/services/${serviceId}`);
    return this.write({
      principal,
      project,
      region: loc.region,
      id: serviceId,
      input: asObj(body),
      validateOnly,
      kind: 'service.create',
    });
  }

  async get(principal: Principal, loc: Location, id: string): Promise<ServiceOutput> {
    const project = await this.ctx.access(principal, loc, 'run.services.get', `/services/${id}`);
    return renderService(this.find(project, loc.region, id));
  }

  /** Whether a service exists (v1 replace creates when it does not); needs run.services.get. */
  async exists(principal: Principal, loc: Location, id: string): Promise<boolean> {
    const project = await this.ctx.access(principal, loc, 'run.services.get', `/services/${id}`);
    return this.ctx.repo.find(project.projectId, loc.region, id) !== undefined;
  }

  async list(
    principal: Principal,
    loc: Location,
    size?: string | null,
    token?: string | null,
    showDeleted?: string | null,
  ): Promise<{ services: ServiceOutput[]; nextPageToken?: string }> {
    const project = await this.ctx.access(principal, loc, 'run.services.list');
    const limit = pageSize(size);
    const deleted = booleanParam('showDeleted', showDeleted);
    const after = decodePageToken(token);
    const rows = this.ctx.repo.list(project.projectId, loc.region, after, limit + 1, deleted);
    const page = rows.slice(0, limit);
    // Deletion drains first and then forgets the service: until then showDeleted lists it.
    const render = (s: ServiceRecord): ServiceOutput =>
      s.deleting ? { ...renderService(s), deleteTime: s.updateTime } : renderService(s);
    const out: { services: ServiceOutput[]; nextPageToken?: string } = { services: page.map(render) };
    if (rows.length > limit) out.nextPageToken = encodePageToken(page[page.length - 1]!.name);
    return out;
  }

  async update(
    principal: Principal,
    loc: Location,
    id: string,
    body: unknown,
    opts: UpdateOptions = {},
  ): Promise<OperationOutput> {
    const project = await this.ctx.access(principal, loc, 'run.services.update', `/services/${id}`);
    const input = asObj(body);
    const existing = this.ctx.repo.find(project.projectId, loc.region, id);
    const validateOnly = opts.validateOnly ?? false;
    if (!existing) {
      if (!opts.allowMissing) throw serviceNotFound(project.projectId, loc.region, id);
      return this.create(principal, loc, id, applyUpdate({}, input, []), validateOnly);
    }
    const etag = typeof input.etag === 'string' && input.etag !== '' ? input.etag : undefined;
    checkEtag(existing, etag);
    const merged = applyUpdate(existing.spec as unknown as Obj, input, parseMask(opts.updateMask));
    return this.write({
      principal,
      project,
      region: loc.region,
      id,
      input: merged,
      base: existing,
      etag,
      validateOnly,
      kind: 'service.update',
    });
  }

  async delete(
    principal: Principal,
    loc: Location,
    id: string,
    opts: { etag?: string | null; validateOnly?: boolean } = {},
  ): Promise<OperationOutput> {
    const project = await this.ctx.access(principal, loc, 'run.services.delete', `/services/${id}`);
    const s = this.find(project, loc.region, id);
    checkEtag(s, opts.etag || undefined);
    const op = this.newOp(s, 'service.delete', 0);
    if (opts.validateOnly)
      return renderOperation({ ...op, done: true, result: { response: { ...renderService(s) } } }, undefined);
    const now = this.ctx.now();
    this.ctx.repo.tx(() => {
      const cur = this.ctx.repo.byUid(s.uid);
      if (!cur || cur.deleting) throw serviceNotFound(project.projectId, loc.region, id);
      this.ctx.repo.update({ ...cur, deleting: true, updateTime: now, lastModifier: principal.email });
      this.ctx.ops.insert(op);
    });
    this.kick(s.uid);
    return renderOperation(op, { ...renderService(s), deleteTime: now });
  }

  private find(project: ProjectRef, region: string, id: string): ServiceRecord {
    const s = this.ctx.repo.find(project.projectId, region, id);
    if (!s) throw serviceNotFound(project.projectId, region, id);
    return s;
  }

  private newOp(
    s: Pick<ServiceRecord, 'uid' | 'projectId' | 'region' | 'name'>,
    kind: OperationKind,
    generation: number,
  ): OperationRecord {
    return {
      id: uuid(),
      projectId: s.projectId,
      region: s.region,
      kind,
      target: serviceName(s.projectId, s.region, s.name),
      serviceUid: s.uid,
      generation,
      done: false,
      result: {},
      createTime: this.ctx.now(),
    };
  }

  /** Validates, then stores the new desired state (and a new revision when the template changed). */
  private async write(req: WriteRequest): Promise<OperationOutput> {
    const spec = parseServiceSpec(req.input, req.id);
    const dflt = defaultServiceAccount(req.project);
    const sa = spec.template.serviceAccount;
    if (sa && sa !== dflt && (!req.base || !sameTemplate(req.base.spec.template, spec.template))) {
      await this.ctx.deps.iam.checkActAs(req.principal, sa);
    }
    spec.template.serviceAccount ??= dflt;
    const local = this.resolveImage(spec.template.containers[0]!.image);
    const digest = this.ctx.deps.imageDigest?.(local);
    const image = digest ? withDigest(local, digest) : local;
    const { record, op } = this.ctx.repo.tx(() => {
      const staged = this.stage(req, spec, image);
      if (req.validateOnly) return staged;
      if (req.base) this.ctx.repo.update(staged.record);
      else this.ctx.repo.insert(staged.record);
      if (staged.revision) this.ctx.repo.insertRevision(staged.revision);
      this.ctx.ops.insert(staged.op);
      return staged;
    });
    if (!req.validateOnly) this.kick(record.uid);
    return renderOperation(op, { ...renderService(record) });
  }

  /** Computes the next records inside a transaction (so concurrent writers cannot both win). */
  private stage(
    req: WriteRequest,
    spec: ServiceSpec,
    image: string,
  ): { record: ServiceRecord; revision?: RevisionRecord; op: OperationRecord } {
    const { repo } = this.ctx;
    const cur = req.base ? repo.byUid(req.base.uid) : repo.find(req.project.projectId, req.region, req.id);
    if (!req.base && cur) {
      throw new TarmacError('ALREADY_EXISTS', `Resource '${req.id}' already exists.`, {
        reason: 'SERVICE_EXISTS',
      });
    }
    if (req.base && (!cur || cur.deleting)) throw serviceNotFound(req.project.projectId, req.region, req.id);
    if (cur) checkEtag(cur, req.etag);
    const revs = cur ? repo.revisions(cur.uid) : [];
    // The same tag pushed again (a new build) is a new image: a new revision, as Cloud Run makes one.
    const moved = digestOf(image) !== undefined && digestOf(revs[0]?.runtime.image ?? '') !== digestOf(image);
    let templateChanged = !revs[0] || !sameTemplate(revs[0].template, spec.template) || moved;
    const wanted = spec.template.revision;
    if (wanted) {
      const named =
        revs.find((r) => r.name === wanted) ?? repo.findRevision(req.project.projectId, req.region, wanted);
      if (named && (named.serviceUid !== cur?.uid || !sameTemplate(named.template, spec.template))) {
        throw new TarmacError(
          'ALREADY_EXISTS',
          `Revision named '${wanted}' with different configuration already exists.`,
          {
            reason: 'REVISION_EXISTS',
          },
        );
      }
      if (named) templateChanged = false;
    }
    const now = this.ctx.now();
    const uid = cur?.uid ?? uuid();
    const specChanged = !cur || JSON.stringify(cur.spec) !== JSON.stringify(spec);
    const generation = cur ? cur.generation + (specChanged ? 1 : 0) : 1;
    const seq = (cur?.revisionSeq ?? 0) + (templateChanged ? 1 : 0);
    const revName = templateChanged ? (wanted ?? autoRevisionId(req.id, seq)) : undefined;
    checkTrafficTargets(spec, revs, revName);
    const base = { uid, projectId: req.project.projectId, region: req.region, name: req.id };
    const record: ServiceRecord = {
      ...base,
      spec,
      generation,
      revisionSeq: seq,
      status: specChanged ? reconcilingStatus(cur?.status, now, revName) : cur!.status,
      etag: specChanged ? makeEtag(uid, generation, now) : cur!.etag,
      createTime: cur?.createTime ?? now,
      updateTime: specChanged ? now : cur!.updateTime,
      creator: cur?.creator ?? req.principal.email,
      lastModifier: specChanged ? req.principal.email : cur!.lastModifier,
      deleting: false,
    };
    const op = this.newOp(base, req.kind, generation);
    if (!specChanged || req.validateOnly)
      Object.assign(op, { done: true, result: { response: { ...renderService(record) } } });
    if (!revName) return { record, op };
    const revision: RevisionRecord = {
      ...base,
      uid: uuid(),
      serviceUid: uid,
      service: req.id,
      name: revName,
      seq,
      generation,
      template: { ...spec.template, launchStage: spec.launchStage },
      runtime: buildRuntimeSpec(
        { project: req.project, region: req.region, service: req.id, revision: revName, image },
        spec.template,
      ),
      state: 'PENDING',
      dp: 'none',
      reason: '',
      message: '',
      logTail: [],
      createTime: now,
      updateTime: now,
    };
    return { record, revision, op };
  }

  private resolveImage(image: string): string {
    try {
      return this.ctx.deps.resolveImage(image);
    } catch (e) {
      const why = isTarmacError(e) ? e.message : String(e);
      throw new TarmacError('INVALID_ARGUMENT', `Invalid image name ${JSON.stringify(image)}: ${why}`, {
        reason: 'INVALID_IMAGE',
        fieldViolations: [{ field: 'template.containers[0].image', description: why }],
      });
    }
  }
}

function asObj(body: unknown): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TarmacError('INVALID_ARGUMENT', 'the request body must be a Service object', {
      reason: 'BAD_BODY',
    });
  }
  return body as Obj;
}

function checkEtag(s: ServiceRecord, etag: string | undefined): void {
  if (etag !== undefined && etag !== s.etag) {
    throw new TarmacError(
      'ABORTED',
      `The etag ${etag} does not match the current etag of service '${s.name}'; read it again and retry.`,
      {
        reason: 'ETAG_MISMATCH',
      },
    );
  }
}

/** Pinned traffic must name revisions of this service that exist and have not failed. */
function checkTrafficTargets(
  spec: ServiceSpec,
  revs: RevisionRecord[],
  newRevision: string | undefined,
): void {
  const v = new Violations();
  spec.traffic.forEach((t, i) => {
    if (t.type !== TRAFFIC_REVISION || t.revision === newRevision) return;
    const r = revs.find((x) => x.name === t.revision);
    if (!r) v.add(`traffic[${i}].revision`, `Revision '${t.revision}' does not exist in this service`);
    else if (r.state === 'FAILED')
      v.add(`traffic[${i}].revision`, `Revision '${t.revision}' is not ready and cannot serve traffic`);
  });
  v.throwIfAny('INVALID_TRAFFIC');
}

function reconcilingStatus(
  prev: ServiceStatus | undefined,
  now: string,
  newRevision: string | undefined,
): ServiceStatus {
  const status: ServiceStatus = {
    observedGeneration: prev?.observedGeneration ?? 0,
    terminalCondition: condition('Ready', 'CONDITION_RECONCILING', now),
    conditions: [
      condition('RoutesReady', 'CONDITION_RECONCILING', now),
      condition('ConfigurationsReady', 'CONDITION_RECONCILING', now),
    ],
    trafficStatuses: prev?.trafficStatuses ?? [],
    urls: prev?.urls ?? [],
    reconciling: true,
  };
  if (prev?.uri) status.uri = prev.uri;
  if (prev?.latestReadyRevision) status.latestReadyRevision = prev.latestReadyRevision;
  const created = newRevision ?? prev?.latestCreatedRevision;
  if (created) status.latestCreatedRevision = created;
  return status;
}
