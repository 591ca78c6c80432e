import { GiB, MiB, parseCpu, parseMemory } from './quantity.ts';
import type { Container, EnvVar, Probe } from './run-types.ts';
import type { Violations } from './violations.ts';
import { type Json } from './violations.ts';

export const DEFAULT_PORT = 8080;
export const DEFAULT_MEMORY = '512Mi';
export const DEFAULT_CPU = '1000m';
/** Environment variables Cloud Run sets itself; users may not. */
export const RESERVED_ENV = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'];
const MAX_ENV = 1000;
const MAX_ENV_VALUE = 32 * 1024;
const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const ALLOWED_CPUS = [1, 2, 4, 6, 8];

/** Parses one `template.containers[i]`, filling Cloud Run's defaults. */
export function parseContainer(v: Violations, raw: Json, f: string, ingress: boolean): Container {
  const image = v.str(raw.image, `${f}.image`);
  if (!image || image.trim() === '') v.add(`${f}.image`, 'an image is required');
  const name = v.str(raw.name, `${f}.name`);
  if (name !== undefined && name !== '' && !DNS_LABEL.test(name)) {
    v.add(`${f}.name`, 'must be a DNS label: lowercase letters, digits and hyphens, starting with a letter');
  }
  const c: Container = {
    ...(name ? { name } : {}),
    image: image ?? '',
    env: parseEnv(v, raw.env, `${f}.env`),
    resources: parseResources(v, v.obj(raw.resources, `${f}.resources`), `${f}.resources`),
    ports: parsePorts(v, raw.ports, `${f}.ports`, ingress),
  };
  const command = v.strList(raw.command, `${f}.command`);
  if (command && command.length > 0) c.command = command;
  const args = v.strList(raw.args, `${f}.args`);
  if (args && args.length > 0) {
    if (args.length > 1000) v.add(`${f}.args`, 'at most 1000 arguments');
    c.args = args;
  }
  const wd = v.str(raw.workingDir, `${f}.workingDir`);
  if (wd) c.workingDir = wd;
  for (const k of ['volumeMounts', 'dependsOn'] as const) {
    if (Array.isArray(raw[k]) && raw[k].length > 0) v.add(`${f}.${k}`, 'is not supported by tarmac');
  }
  const port = c.ports[0]?.containerPort ?? DEFAULT_PORT;
  const startup = v.obj(raw.startupProbe, `${f}.startupProbe`);
  c.startupProbe = startup
    ? parseProbe(v, startup, `${f}.startupProbe`, port, 240)
    : {
        initialDelaySeconds: 0,
        timeoutSeconds: 240,
        periodSeconds: 240,
        failureThreshold: 1,
        tcpSocket: { port },
      };
  const liveness = v.obj(raw.livenessProbe, `${f}.livenessProbe`);
  if (liveness) c.livenessProbe = parseProbe(v, liveness, `${f}.livenessProbe`, port, 3600);
  return c;
}

function parseEnv(v: Violations, raw: unknown, f: string): EnvVar[] {
  const list = v.arr(raw, f);
  if (list.length > MAX_ENV) v.add(f, `at most ${MAX_ENV} environment variables`);
  const seen = new Set<string>();
  const out: EnvVar[] = [];
  list.forEach((x, i) => {
    const e = v.obj(x, `${f}[${i}]`) ?? {};
    const name = v.str(e.name, `${f}[${i}].name`) ?? '';
    if (name === '') v.add(`${f}[${i}].name`, 'a name is required');
    else if (name.includes('=')) v.add(`${f}[${i}].name`, "must not contain '='");
    else if (RESERVED_ENV.includes(name))
      v.add(`${f}[${i}].name`, `${name} is reserved and set by Cloud Run`);
    else if (name.length > MAX_ENV_VALUE) v.add(`${f}[${i}].name`, `longer than ${MAX_ENV_VALUE} characters`);
    else if (seen.has(name)) v.add(`${f}[${i}].name`, `duplicate environment variable ${name}`);
    seen.add(name);
    if (e.valueSource !== undefined)
      v.add(`${f}[${i}].valueSource`, 'secret references are not supported by tarmac');
    const value = v.str(e.value, `${f}[${i}].value`) ?? '';
    if (Buffer.byteLength(value) > MAX_ENV_VALUE)
      v.add(`${f}[${i}].value`, `larger than ${MAX_ENV_VALUE} bytes`);
    out.push({ name, value });
  });
  return out;
}

function parseResources(v: Violations, raw: Json | undefined, f: string): Container['resources'] {
  const limits = v.strMap(raw?.limits, `${f}.limits`);
  for (const k of Object.keys(limits)) {
    if (k !== 'cpu' && k !== 'memory') v.add(`${f}.limits.${k}`, 'only cpu and memory limits are supported');
  }
  const cpu = limits.cpu ?? DEFAULT_CPU;
  const memory = limits.memory ?? DEFAULT_MEMORY;
  const cores = parseCpu(cpu);
  const bytes = parseMemory(memory);
  if (cores === undefined) v.add(`${f}.limits.cpu`, `invalid CPU quantity ${JSON.stringify(cpu)}`);
  else if (cores < 0.08 || (cores > 1 && !ALLOWED_CPUS.includes(cores)) || cores > 8) {
    v.add(`${f}.limits.cpu`, 'must be between 0.08 and 1, or one of 1, 2, 4, 6, 8');
  }
  if (bytes === undefined) v.add(`${f}.limits.memory`, `invalid memory quantity ${JSON.stringify(memory)}`);
  else if (bytes < 128 * MiB || bytes > 32 * GiB)
    v.add(`${f}.limits.memory`, 'must be between 128Mi and 32Gi');
  if (cores !== undefined && bytes !== undefined) checkCpuMemory(v, cores, bytes, f);
  const out: Container['resources'] = {
    limits: { cpu, memory },
    cpuIdle: v.bool(raw?.cpuIdle, `${f}.cpuIdle`) ?? true,
  };
  const boost = v.bool(raw?.startupCpuBoost, `${f}.startupCpuBoost`);
  if (boost !== undefined) out.startupCpuBoost = boost;
  return out;
}

/** Cloud Run's pairing rules between CPU and memory. */
function checkCpuMemory(v: Violations, cores: number, bytes: number, f: string): void {
  const need = bytes > 24 * GiB ? 8 : bytes > 16 * GiB ? 6 : bytes > 8 * GiB ? 4 : bytes > 4 * GiB ? 2 : 0;
  if (cores < need)
    v.add(`${f}.limits.cpu`, `memory above ${memoryStep(need)} requires at least ${need} CPUs`);
  if (cores >= 6 && bytes < 4 * GiB)
    v.add(`${f}.limits.memory`, `${cores} CPUs require at least 4Gi of memory`);
  else if (cores >= 4 && bytes < 2 * GiB)
    v.add(`${f}.limits.memory`, '4 CPUs require at least 2Gi of memory');
  if (cores < 0.5 && bytes > 512 * MiB)
    v.add(`${f}.limits.memory`, 'less than 0.5 CPU allows at most 512Mi of memory');
  else if (cores < 1 && bytes > GiB)
    v.add(`${f}.limits.memory`, 'less than 1 CPU allows at most 1Gi of memory');
}

const memoryStep = (cpus: number): string => ({ 2: '4Gi', 4: '8Gi', 6: '16Gi', 8: '24Gi' })[cpus] ?? '';

function parsePorts(v: Violations, raw: unknown, f: string, ingress: boolean): Container['ports'] {
  const list = v.arr(raw, f);
  if (list.length > 1) v.add(f, 'at most one port per container');
  const out: Container['ports'] = [];
  list.slice(0, 1).forEach((x) => {
    const p = v.obj(x, `${f}[0]`) ?? {};
    const name = v.str(p.name, `${f}[0].name`) || 'http1';
    if (name !== 'http1' && name !== 'h2c') v.add(`${f}[0].name`, 'must be http1 or h2c');
    const containerPort = v.int(p.containerPort, `${f}[0].containerPort`, 1, 65535) ?? DEFAULT_PORT;
    out.push({ name, containerPort });
  });
  if (ingress && out.length === 0) out.push({ name: 'http1', containerPort: DEFAULT_PORT });
  return out;
}

function parseProbe(v: Violations, raw: Json, f: string, port: number, maxPeriod: number): Probe {
  const p: Probe = {
    initialDelaySeconds: v.int(raw.initialDelaySeconds, `${f}.initialDelaySeconds`, 0, maxPeriod) ?? 0,
    timeoutSeconds: v.int(raw.timeoutSeconds, `${f}.timeoutSeconds`, 1, 3600) ?? 1,
    periodSeconds: v.int(raw.periodSeconds, `${f}.periodSeconds`, 1, maxPeriod) ?? 10,
    failureThreshold: v.int(raw.failureThreshold, `${f}.failureThreshold`, 1, 1000) ?? 3,
  };
  if (p.timeoutSeconds > p.periodSeconds) v.add(`${f}.timeoutSeconds`, 'must not exceed periodSeconds');
  const http = v.obj(raw.httpGet, `${f}.httpGet`);
  const tcp = v.obj(raw.tcpSocket, `${f}.tcpSocket`);
  const kinds = [http, tcp, raw.grpc].filter((x) => x !== undefined && x !== null).length;
  if (kinds !== 1) v.add(f, 'exactly one of httpGet, tcpSocket or grpc is required');
  if (raw.grpc !== undefined && raw.grpc !== null)
    v.add(`${f}.grpc`, 'gRPC probes are not supported by tarmac');
  if (http) {
    const path = v.str(http.path, `${f}.httpGet.path`) || '/';
    if (!path.startsWith('/')) v.add(`${f}.httpGet.path`, "must start with '/'");
    p.httpGet = { path, port: v.int(http.port, `${f}.httpGet.port`, 1, 65535) ?? port };
    const headers = v.arr(http.httpHeaders, `${f}.httpGet.httpHeaders`).map((h, i) => {
      const o = v.obj(h, `${f}.httpGet.httpHeaders[${i}]`) ?? {};
      return {
        name: v.str(o.name, `${f}.httpGet.httpHeaders[${i}].name`) ?? '',
        value: v.str(o.value, '') ?? '',
      };
    });
    if (headers.length > 0) p.httpGet.httpHeaders = headers;
  }
  if (tcp) p.tcpSocket = { port: v.int(tcp.port, `${f}.tcpSocket.port`, 1, 65535) ?? port };
  return p;
}
