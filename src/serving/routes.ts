import type { RouteSpec } from '../model/index.ts';
import { routeKey, serviceHost } from './hosts.ts';

/** One service's routing, compiled for the hot path. */
export interface CompiledRoute {
  spec: RouteSpec;
  /** Revisions with a share of traffic and their cumulative percent (ends at the total). */
  revisions: string[];
  cumulative: number[];
  total: number;
  tags: Map<string, string>;
  /** What the invoke authorizer is given, built once. */
  auth: { project: string; region: string; service: string; invokerIamDisabled: boolean; ingress: string };
  /** Accepted ID-token audiences: service URL, tag URLs, custom audiences. */
  audiences: string[];
}

/** Host-keyed routing table: setRoutes replaces a service's entry atomically. */
export class RouteTable {
  private readonly byKey = new Map<string, CompiledRoute>();
  /** project/region/service -> key, since removeRoutes names the project by id. */
  private readonly byName = new Map<string, string>();

  constructor(
    private readonly domain: string,
    private readonly urlOf: (host: string) => string,
  ) {}

  set(spec: RouteSpec): void {
    const key = routeKey(spec.projectNumber, spec.region, spec.service);
    const revisions: string[] = [];
    const cumulative: number[] = [];
    let total = 0;
    const tags = new Map<string, string>();
    for (const r of spec.routes) {
      if (r.percent > 0) {
        total += r.percent;
        revisions.push(r.revision);
        cumulative.push(total);
      }
      if (r.tag) tags.set(r.tag.toLowerCase(), r.revision);
    }
    const host = (tag?: string): string =>
      this.urlOf(serviceHost(spec.projectNumber, spec.region, spec.service, this.domain, tag));
    const audiences = [host(), ...[...tags.keys()].map((t) => host(t)), ...spec.customAudiences];
    const auth = {
      project: spec.project,
      region: spec.region,
      service: spec.service,
      invokerIamDisabled: spec.invokerIamDisabled,
      ingress: spec.ingress,
    };
    const name = `${spec.project}/${spec.region}/${spec.service}`;
    const old = this.byName.get(name);
    if (old !== undefined && old !== key) this.byKey.delete(old);
    this.byName.set(name, key);
    this.byKey.set(key, { spec, revisions, cumulative, total, tags, auth, audiences });
  }

  remove(project: string, region: string, service: string): void {
    const name = `${project}/${region}/${service}`;
    const key = this.byName.get(name);
    if (key === undefined) return;
    this.byName.delete(name);
    this.byKey.delete(key);
  }

  get(key: string): CompiledRoute | undefined {
    return this.byKey.get(key);
  }

  /** Every service and tag host name (no port), for the instances' hosts file. */
  *hosts(): Iterable<string> {
    for (const r of this.byKey.values()) {
      const s = r.spec;
      yield serviceHost(s.projectNumber, s.region, s.service, this.domain);
      for (const tag of r.tags.keys())
        yield serviceHost(s.projectNumber, s.region, s.service, this.domain, tag);
    }
  }

  /** Revisions any route points at. */
  routedRevisions(): Set<string> {
    const out = new Set<string>();
    for (const r of this.byKey.values()) for (const x of r.spec.routes) out.add(x.revision);
    return out;
  }
}

/**
 * The revision a request goes to: a tag reaches only its own revision; otherwise a weighted pick by
 * percent with `rand` in [0, 1). Undefined when the tag is unknown or nothing has a share.
 */
export function pickRevision(
  route: CompiledRoute,
  tag: string | undefined,
  rand: number,
): string | undefined {
  if (tag !== undefined) return route.tags.get(tag);
  const n = route.revisions.length;
  if (n === 1) return route.revisions[0];
  if (n === 0) return undefined;
  const x = rand * route.total;
  for (let i = 0; i < n; i++) if (x < route.cumulative[i]!) return route.revisions[i];
  return route.revisions[n - 1];
}
