import type { Container, EnvVar, Service, TrafficTarget } from '../../client/index.ts';
import { SERVICE_OUTPUT_ONLY } from '../../model/index.ts';
import { userError } from '../core/index.ts';
import type { ServiceChanges } from './flags.ts';
import { shortName } from './krm.ts';

// The etag stays: sent back, it makes the server refuse the update if the service changed meanwhile.
const OUTPUT_ONLY = SERVICE_OUTPUT_ONLY.filter((k) => k !== 'etag');

/** A Service without its output-only fields, as it is sent back in an update. */
export function desiredState(s: Service): Service {
  const out: Service = structuredClone(s);
  for (const k of OUTPUT_ONLY) delete out[k];
  return out;
}

function applyEnv(c: Container, env: ServiceChanges['env']): void {
  let vars: EnvVar[] = env.set
    ? Object.entries(env.set).map(([name, value]) => ({ name, value }))
    : [...(c.env ?? [])];
  vars = vars.filter((v) => !env.remove.includes(v.name ?? ''));
  for (const [name, value] of Object.entries(env.update)) {
    const i = vars.findIndex((v) => v.name === name);
    if (i === -1) vars.push({ name, value });
    else vars[i] = { name, value };
  }
  if (vars.length) c.env = vars;
  else delete c.env;
}

function applyContainer(c: Container, ch: ServiceChanges): void {
  if (ch.image) c.image = ch.image;
  const limits = { ...(c.resources?.limits ?? {}) };
  if (ch.memory) limits.memory = ch.memory;
  if (ch.cpu) limits.cpu = ch.cpu;
  const resources = { ...(c.resources ?? {}), limits };
  if (ch.cpuThrottling !== undefined) resources.cpuIdle = ch.cpuThrottling;
  if (ch.cpuBoost !== undefined) resources.startupCpuBoost = ch.cpuBoost;
  if (Object.keys(limits).length || ch.cpuThrottling !== undefined || ch.cpuBoost !== undefined)
    c.resources = resources;
  applyEnv(c, ch.env);
  if (ch.port !== undefined || ch.http2) {
    const name = ch.http2 ? 'h2c' : (c.ports?.[0]?.name ?? 'http1');
    const port = ch.port === 'default' ? 8080 : (ch.port ?? c.ports?.[0]?.containerPort ?? 8080);
    c.ports = [{ name, containerPort: port }];
  }
  if (ch.command !== undefined) {
    if (ch.command.length) c.command = ch.command;
    else delete c.command;
  }
  if (ch.args !== undefined) {
    if (ch.args.length) c.args = ch.args;
    else delete c.args;
  }
}

function applyLabels(
  labels: Record<string, string> | undefined,
  ch: ServiceChanges['labels'],
): Record<string, string> | undefined {
  const out = ch.clear ? {} : { ...(labels ?? {}) };
  for (const k of ch.remove) delete out[k];
  Object.assign(out, ch.update);
  return Object.keys(out).length ? out : undefined;
}

/** Traffic after a deploy: new revisions get 100% unless --no-traffic pins it; --tag tags the new revision. */
function applyTraffic(
  existing: Service | undefined,
  ch: ServiceChanges,
  revision: string | undefined,
): TrafficTarget[] | undefined {
  let traffic: TrafficTarget[] = existing?.traffic?.length
    ? structuredClone(existing.traffic)
    : [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }];
  if (ch.noTraffic) {
    if (!existing)
      throw userError(
        '--no-traffic is not supported when creating a new service: deploy it once first.',
        'NO_TRAFFIC_NEW_SERVICE',
      );
    const current = existing.latestReadyRevision ? shortName(existing.latestReadyRevision) : undefined;
    traffic = traffic.map((t) =>
      t.type === 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST' && current
        ? { ...t, type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: current }
        : t,
    );
  }
  if (ch.tag && revision) {
    traffic = traffic
      .map((t) => (t.tag === ch.tag ? { ...t, tag: undefined } : t))
      .filter((t) => t.percent || t.tag);
    traffic.push({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision, percent: 0, tag: ch.tag });
  }
  return existing || ch.tag || ch.noTraffic ? traffic : undefined;
}

/** Whether the changes set anything in the revision template (gcloud's template config changes). */
export function touchesTemplate(ch: ServiceChanges): boolean {
  const given = [
    ch.image,
    ch.memory,
    ch.cpu,
    ch.timeoutSeconds,
    ch.concurrency,
    ch.minInstances,
    ch.maxInstances,
    ch.env.set,
    ch.serviceAccount,
    ch.port,
    ch.http2,
    ch.command,
    ch.args,
    ch.cpuThrottling,
    ch.cpuBoost,
    ch.executionEnvironment,
  ].some((v) => v !== undefined);
  return given || Object.keys(ch.env.update).length > 0 || ch.env.remove.length > 0;
}

/**
 * The Service to send for a deploy/update: the existing one (or a new one) with the changes applied.
 * `revision` is the new revision's name when the CLI chose it (--revision-suffix, --tag).
 */
export function applyChanges(existing: Service | undefined, ch: ServiceChanges, revision?: string): Service {
  const s: Service = existing ? desiredState(existing) : {};
  const t = (s.template ??= {});
  // A chosen name makes the new revision; a template change without one lets the server name it; a
  // service-level change keeps the template as it is (name included), so no revision is made.
  if (revision) t.revision = revision;
  else if (touchesTemplate(ch)) delete t.revision;
  const containers = (t.containers ??= []);
  if (containers.length === 0) {
    if (!ch.image)
      throw userError(
        'Missing required argument [--image]: a new service needs a container image.',
        'MISSING_IMAGE',
      );
    containers.push({ image: ch.image });
  }
  applyContainer(containers[0]!, ch);
  if (ch.timeoutSeconds !== undefined) t.timeout = `${ch.timeoutSeconds}s`;
  if (ch.concurrency !== undefined) {
    if (ch.concurrency === 'default') delete t.maxInstanceRequestConcurrency;
    else t.maxInstanceRequestConcurrency = ch.concurrency;
  }
  const scaling = { ...(t.scaling ?? {}) };
  if (ch.minInstances !== undefined) {
    if (ch.minInstances === 'default') delete scaling.minInstanceCount;
    else scaling.minInstanceCount = ch.minInstances;
  }
  if (ch.maxInstances !== undefined) {
    if (ch.maxInstances === 'default') delete scaling.maxInstanceCount;
    else scaling.maxInstanceCount = ch.maxInstances;
  }
  if (Object.keys(scaling).length) t.scaling = scaling;
  else delete t.scaling;
  if (ch.serviceAccount) t.serviceAccount = ch.serviceAccount;
  if (ch.executionEnvironment) t.executionEnvironment = ch.executionEnvironment;
  if (ch.invokerIamDisabled !== undefined) s.invokerIamDisabled = ch.invokerIamDisabled;
  if (ch.ingress) s.ingress = ch.ingress;
  if (ch.description !== undefined) s.description = ch.description;
  const labels = applyLabels(s.labels, ch.labels);
  if (labels) s.labels = labels;
  else delete s.labels;
  let aud = ch.audiences.set ?? [...(s.customAudiences ?? [])];
  aud = [...new Set([...aud.filter((a) => !ch.audiences.remove.includes(a)), ...ch.audiences.add])];
  if (aud.length) s.customAudiences = aud;
  else delete s.customAudiences;
  const traffic = applyTraffic(existing, ch, revision);
  if (traffic) s.traffic = traffic;
  s.client = 'tarmac';
  return s;
}

/** `SERVICE-00003-xyz`: the next revision name after the service's latest one (for --tag without a suffix). */
export function nextRevisionName(
  service: string,
  existing: Service | undefined,
  random: () => string,
): string {
  // The latest created revision may carry a chosen name (--revision-suffix): the ready one then counts.
  const seqOf = (name: string | undefined): number =>
    Number(/-(\d{5})-[a-z0-9]{3}$/.exec(shortName(name))?.[1] ?? 0);
  const seq = Math.max(seqOf(existing?.latestCreatedRevision), seqOf(existing?.latestReadyRevision)) + 1;
  return `${service}-${String(seq).padStart(5, '0')}-${random()}`;
}
