import { readFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TarmacError } from '../shared/index.ts';
import { configSchema, type ParsedConfig } from './schema.ts';

type Json = Record<string, unknown>;

/** Config keys that may be set by environment variable or flag, with how to read the text. */
const KEYS: { key: string; env: string; flag: string; kind: 'string' | 'int' | 'bool' | 'number' }[] = [
  { key: 'home', env: 'TARMAC_HOME', flag: 'home', kind: 'string' },
  { key: 'bind', env: 'TARMAC_BIND', flag: 'bind', kind: 'string' },
  { key: 'logLevel', env: 'TARMAC_LOG_LEVEL', flag: 'log-level', kind: 'string' },
  { key: 'ports.ingress', env: 'TARMAC_INGRESS_PORT', flag: 'ingress-port', kind: 'int' },
  { key: 'ports.api', env: 'TARMAC_API_PORT', flag: 'api-port', kind: 'int' },
  { key: 'ports.registry', env: 'TARMAC_REGISTRY_PORT', flag: 'registry-port', kind: 'int' },
  { key: 'ports.metadata', env: 'TARMAC_METADATA_PORT', flag: 'metadata-port', kind: 'int' },
  { key: 'metadataPort80', env: 'TARMAC_METADATA_PORT80', flag: 'metadata-port80', kind: 'bool' },
  { key: 'domain', env: 'TARMAC_DOMAIN', flag: 'domain', kind: 'string' },
  { key: 'defaultRegion', env: 'TARMAC_REGION', flag: 'region', kind: 'string' },
  { key: 'defaultProject', env: 'TARMAC_PROJECT', flag: 'project', kind: 'string' },
  { key: 'engine.host', env: 'TARMAC_ENGINE_HOST', flag: 'engine-host', kind: 'string' },
  { key: 'engine.provision', env: 'TARMAC_ENGINE_PROVISION', flag: 'engine-provision', kind: 'bool' },
  {
    key: 'engine.dockerHubMirror',
    env: 'TARMAC_DOCKER_HUB_MIRROR',
    flag: 'docker-hub-mirror',
    kind: 'bool',
  },
  {
    key: 'serving.idleTimeoutSeconds',
    env: 'TARMAC_IDLE_TIMEOUT_SECONDS',
    flag: 'idle-timeout-seconds',
    kind: 'int',
  },
  {
    key: 'serving.progressDeadlineSeconds',
    env: 'TARMAC_PROGRESS_DEADLINE_SECONDS',
    flag: 'progress-deadline-seconds',
    kind: 'int',
  },
  {
    key: 'logs.maxBytesPerRevision',
    env: 'TARMAC_LOG_MAX_BYTES_PER_REVISION',
    flag: 'log-max-bytes-per-revision',
    kind: 'int',
  },
  { key: 'logs.maxAgeDays', env: 'TARMAC_LOG_MAX_AGE_DAYS', flag: 'log-max-age-days', kind: 'number' },
  { key: 'builds.parallelism', env: 'TARMAC_BUILD_PARALLELISM', flag: 'build-parallelism', kind: 'int' },
];

export const CONFIG_FLAGS = KEYS.map((k) => k.flag);

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Flag values by flag name (without dashes), as strings. */
  flags?: Record<string, string | undefined>;
  /** Explicit config file; else TARMAC_CONFIG, else HOME/config.json when present. */
  file?: string;
  /** Extra values that win over everything (tests). */
  overrides?: Json;
}

function configError(key: string, value: unknown, allowed: string): TarmacError {
  return new TarmacError(
    'INVALID_ARGUMENT',
    `invalid configuration: ${key}=${JSON.stringify(value)}: expected ${allowed}`,
    { reason: 'BAD_CONFIG', fieldViolations: [{ field: key, description: allowed }] },
  );
}

function convert(key: string, text: string, kind: string): unknown {
  if (kind === 'string') return text;
  if (kind === 'bool') {
    if (['1', 'true', 'yes', 'on'].includes(text.toLowerCase())) return true;
    if (['0', 'false', 'no', 'off'].includes(text.toLowerCase())) return false;
    throw configError(key, text, 'true or false');
  }
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
    throw configError(key, text, kind === 'int' ? 'an integer' : 'a number');
  }
  return n;
}

function setPath(obj: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Json;
  }
  cur[parts[parts.length - 1]!] = value;
}

function deepMerge(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? deepMerge(prev as Json, v as Json)
        : v;
  }
  return out;
}

function readFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TarmacError('INVALID_ARGUMENT', `cannot read config file ${path}: ${(e as Error).message}`, {
      reason: 'BAD_CONFIG',
    });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Json;
  } catch (e) {
    throw new TarmacError(
      'INVALID_ARGUMENT',
      `config file ${path} is not a JSON object: ${(e as Error).message}`,
      {
        reason: 'BAD_CONFIG',
      },
    );
  }
}

/** defaults -> config file -> TARMAC_* environment -> flags -> overrides, validated once. */
export function loadConfig(opts: LoadOptions = {}): ParsedConfig {
  const env = opts.env ?? process.env;
  const flags = opts.flags ?? {};
  const layers: Json[] = [];
  const fromEnv: Json = {};
  const fromFlags: Json = {};
  for (const k of KEYS) {
    const e = env[k.env];
    if (e !== undefined && e !== '') setPath(fromEnv, k.key, convert(k.key, e, k.kind));
    const f = flags[k.flag];
    if (f !== undefined) setPath(fromFlags, k.key, convert(k.key, f, k.kind));
  }
  if (!fromEnv.engine && env.DOCKER_HOST) setPath(fromEnv, 'engine.host', env.DOCKER_HOST);
  const home = resolve(
    (opts.overrides?.home as string | undefined) ??
      (fromFlags.home as string | undefined) ??
      (fromEnv.home as string | undefined) ??
      join(homedir(), '.tarmac'),
  );
  const file = opts.file ?? flags.config ?? env.TARMAC_CONFIG ?? join(home, 'config.json');
  const explicit = Boolean(opts.file ?? flags.config ?? env.TARMAC_CONFIG);
  if (explicit || existsSync(file)) layers.push(readFile(file));
  layers.push(fromEnv, fromFlags, opts.overrides ?? {}, { home });
  const merged = layers.reduce((acc, l) => deepMerge(acc, l), {} as Json);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.') || '(root)';
    const value = issue.path.reduce<unknown>((v, p) => (v as Json | undefined)?.[p as string], merged);
    throw configError(key, value, issue.message);
  }
  return result.data;
}
