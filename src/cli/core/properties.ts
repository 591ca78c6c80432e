import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { userError } from './errors.ts';

/** A property as in gcloud: `section/name`, settable with `tarmac config set`, overridable by env. */
export interface PropertyDef {
  section: string;
  name: string;
  help: string;
  /** Extra environment variables (besides CLOUDSDK_SECTION_NAME and TARMAC_SECTION_NAME), first wins. */
  env?: string[];
  choices?: string[];
}

/** Every known property. A command group that needs its own adds a line here. */
export const PROPERTIES: PropertyDef[] = [
  {
    section: 'core',
    name: 'project',
    help: 'project ID used when --project is not given',
    env: ['TARMAC_PROJECT'],
  },
  { section: 'core', name: 'account', help: 'account (email) the CLI acts as' },
  {
    section: 'core',
    name: 'api_endpoint',
    help: 'base URL of the tarmac API (default: from TARMAC_HOME/credentials.json)',
    env: ['TARMAC_API_ENDPOINT'],
  },
  { section: 'core', name: 'disable_prompts', help: 'never prompt (as --quiet)', choices: ['true', 'false'] },
  {
    section: 'core',
    name: 'verbosity',
    help: 'debug, info, warning, error, critical or none',
    choices: ['debug', 'info', 'warning', 'error', 'critical', 'none'],
  },
  {
    section: 'core',
    name: 'tarmac_home',
    help: 'TARMAC_HOME whose credentials.json gives the defaults',
    env: ['TARMAC_HOME'],
  },
  { section: 'auth', name: 'access_token_file', help: 'file holding the bearer token to send' },
  {
    section: 'auth',
    name: 'credential_file_override',
    help: 'service account key file the CLI authenticates with (set by `auth activate-service-account`)',
  },
  { section: 'run', name: 'region', help: 'default region for run commands', env: ['TARMAC_REGION'] },
  { section: 'run', name: 'platform', help: 'only "managed" is supported', choices: ['managed'] },
  { section: 'builds', name: 'region', help: 'default region for builds commands' },
  { section: 'scheduler', name: 'location', help: 'default location for scheduler commands' },
  ...['run', 'iam', 'iamcredentials', 'cloudscheduler', 'cloudbuild'].map((api) => ({
    section: 'api_endpoint_overrides',
    name: api,
    help: `base URL for the ${api} API (default: core/api_endpoint)`,
  })),
];

export type Env = Record<string, string | undefined>;

/** Looks a property up by `section/name`, or bare `name` for core. */
export function findProperty(key: string): PropertyDef {
  const [section, name] = key.includes('/') ? (key.split('/', 2) as [string, string]) : ['core', key];
  const def = PROPERTIES.find((p) => p.section === section && p.name === name);
  if (!def) {
    const known = PROPERTIES.some((p) => p.section === section);
    throw userError(
      known
        ? `Section [${section}] has no property [${name}]. Run \`tarmac config list --all\` to see them.`
        : `Section [${section}] does not exist. Run \`tarmac config list --all\` to see the properties.`,
    );
  }
  return def;
}

const envNames = (p: PropertyDef): string[] => [
  ...(p.env ?? []),
  `CLOUDSDK_${p.section}_${p.name}`.toUpperCase(),
  `TARMAC_${p.section}_${p.name}`.toUpperCase(),
];

type Ini = Record<string, Record<string, string>>;

export function parseIni(text: string): Ini {
  const out: Ini = {};
  let section = 'core';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) section = s[1]!.trim();
    else {
      const eq = line.indexOf('=');
      if (eq === -1) continue;
      (out[section] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
  }
  return out;
}

export function formatIni(ini: Ini): string {
  return Object.entries(ini)
    .filter(([, kv]) => Object.keys(kv).length > 0)
    .map(
      ([s, kv]) =>
        `[${s}]\n${Object.entries(kv)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n')}\n`,
    )
    .join('\n');
}

const NAME_RE = /^[a-z][-a-z0-9]*$/;

/** Named configurations under TARMAC_CONFIG_DIR: `active_config` and `configurations/config_NAME`. */
export class ConfigStore {
  readonly dir: string;

  constructor(private readonly env: Env) {
    this.dir = env.TARMAC_CONFIG_DIR || join(homedir(), '.config', 'tarmac');
  }

  private file(name: string): string {
    return join(this.dir, 'configurations', `config_${name}`);
  }

  /** The active configuration: --configuration / CLOUDSDK_ACTIVE_CONFIG_NAME, else active_config, else default. */
  active(override?: string): string {
    const name = override || this.env.TARMAC_ACTIVE_CONFIG_NAME || this.env.CLOUDSDK_ACTIVE_CONFIG_NAME;
    if (name) return name;
    const f = join(this.dir, 'active_config');
    return existsSync(f) ? readFileSync(f, 'utf8').trim() || 'default' : 'default';
  }

  exists(name: string): boolean {
    return name === 'default' || existsSync(this.file(name));
  }

  list(): string[] {
    const d = join(this.dir, 'configurations');
    const names = existsSync(d)
      ? readdirSync(d)
          .filter((f) => f.startsWith('config_'))
          .map((f) => f.slice('config_'.length))
      : [];
    return [...new Set(['default', ...names])].sort();
  }

  read(name: string): Ini {
    const f = this.file(name);
    return existsSync(f) ? parseIni(readFileSync(f, 'utf8')) : {};
  }

  write(name: string, ini: Ini): void {
    mkdirSync(join(this.dir, 'configurations'), { recursive: true, mode: 0o700 });
    writeFileSync(this.file(name), formatIni(ini), { mode: 0o600 });
  }

  create(name: string): void {
    if (!NAME_RE.test(name)) {
      throw userError(
        `Invalid name [${name}] for a configuration: use lowercase letters, digits and hyphens, starting with a letter.`,
      );
    }
    if (existsSync(this.file(name)))
      throw userError(`Cannot create configuration [${name}], it already exists.`);
    this.write(name, {});
  }

  activate(name: string): void {
    if (!this.exists(name)) {
      throw userError(
        `Cannot activate configuration [${name}], it does not exist. Create it with \`tarmac config configurations create ${name}\`.`,
      );
    }
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(this.dir, 'active_config'), name);
  }

  delete(name: string): void {
    if (name === this.active())
      throw userError(`Cannot delete configuration [${name}], it is the active configuration.`);
    if (!existsSync(this.file(name)))
      throw userError(`Cannot delete configuration [${name}], it does not exist.`);
    rmSync(this.file(name));
  }
}

/** Where a property's value came from, for `config get`/`config list`. */
export type Source = 'flag' | 'env' | 'config' | 'installation';

/** The properties in force: flags, then environment, then the active configuration, then installation defaults. */
export class Properties {
  constructor(
    readonly store: ConfigStore,
    readonly configuration: string,
    private readonly env: Env,
    private readonly flags: Record<string, string | undefined> = {},
    private readonly installation: () => Record<string, string | undefined> = () => ({}),
  ) {}

  /** A property's value and where it came from (undefined when unset everywhere). */
  lookup(key: string): { value: string; source: Source } | undefined {
    const p = findProperty(key);
    const id = `${p.section}/${p.name}`;
    const flag = this.flags[id];
    if (flag !== undefined && flag !== '') return { value: flag, source: 'flag' };
    for (const e of envNames(p)) {
      const v = this.env[e];
      if (v !== undefined && v !== '') return { value: v, source: 'env' };
    }
    const v = this.store.read(this.configuration)[p.section]?.[p.name];
    if (v !== undefined && v !== '') return { value: v, source: 'config' };
    const d = this.installation()[id];
    if (d !== undefined && d !== '') return { value: d, source: 'installation' };
    return undefined;
  }

  get(key: string): string | undefined {
    return this.lookup(key)?.value;
  }

  set(key: string, value: string): string {
    const p = findProperty(key);
    if (p.choices && !p.choices.includes(value)) {
      throw userError(
        `Invalid value [${value}] for property [${p.section}/${p.name}]: use one of ${p.choices.join(', ')}.`,
      );
    }
    const ini = this.store.read(this.configuration);
    (ini[p.section] ??= {})[p.name] = value;
    this.store.write(this.configuration, ini);
    return `${p.section}/${p.name}`;
  }

  unset(key: string): string {
    const p = findProperty(key);
    const ini = this.store.read(this.configuration);
    if (ini[p.section]) delete ini[p.section]![p.name];
    this.store.write(this.configuration, ini);
    return `${p.section}/${p.name}`;
  }

  /** Properties set in the active configuration or the environment, by section. */
  listSet(all = false): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const p of PROPERTIES) {
      const found = this.lookup(`${p.section}/${p.name}`);
      if (found && (all || found.source === 'config' || found.source === 'env')) {
        (out[p.section] ??= {})[p.name] = found.value;
      } else if (all) (out[p.section] ??= {})[p.name] = '';
    }
    return out;
  }
}
