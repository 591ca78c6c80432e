import type { Command } from 'commander';
import { collect, invalidFlag, parseKeyValues, parseList, userError } from '../core/index.ts';
import { INGRESS_V2 } from './krm.ts';

const VERB_HELP: Record<string, string> = {
  set: 'replace all',
  update: 'add or change',
  add: 'add',
  remove: 'remove',
  clear: 'remove all',
};

/** The gcloud family of flags editing one collection: --set-X, --update-X/--add-X, --remove-X, --clear-X. */
function collectionFlags(
  cmd: Command,
  noun: string,
  what: string,
  item: string,
  verbs: (keyof typeof VERB_HELP)[],
): void {
  for (const verb of verbs) {
    const value =
      verb === 'clear' ? '' : verb === 'remove' ? ` <${item.replace(/=.*/, '')},...>` : ` <${item},...>`;
    const help = `${VERB_HELP[verb]} ${what}`;
    if (verb === 'clear') cmd.option(`--clear-${noun}`, help);
    else cmd.option(`--${verb}-${noun}${value}`, help, collect);
  }
}

/** The service-changing flags shared by `run deploy` and `run services update` (reference 4.1). */
export function addServiceFlags(cmd: Command, deploy: boolean): Command {
  cmd
    .option('--image <IMAGE>', 'container image to deploy, e.g. gcr.io/PROJECT_ID/IMAGE_NAME')
    .option(
      '--memory <SIZE>',
      'memory limit per instance, e.g. 512Mi, 1Gi (binary Ki/Mi/Gi or decimal k/M/G)',
    )
    .option('--cpu <CPU>', 'CPU limit per instance, e.g. 1, 2, 0.5, 1000m')
    .option('--timeout <DURATION>', 'request timeout: seconds or a duration such as 10m5s (max 3600s)')
    .option('--concurrency <N>', 'max concurrent requests per instance (1-1000) or "default"')
    .option('--min-instances <N>', 'minimum instances of the revision, or "default"')
    .option('--max-instances <N>', 'maximum instances of the revision, or "default"')
    .option('--service-account <EMAIL>', 'service account the revision runs as')
    .option('--invoker-iam-check', 'require run.routes.invoke on requests (default)')
    .option('--no-invoker-iam-check', 'disable the invoker IAM check: anyone can call the service')
    .option('--ingress <INGRESS>', 'all, internal, or internal-and-cloud-load-balancing')
    .option('--port <PORT>', 'container port requests are sent to (also $PORT), or "default"')
    .option('--use-http2', 'send requests to the container over HTTP/2 cleartext (h2c)')
    .option('--command <COMMAND,...>', 'entrypoint override; empty string resets to the image ENTRYPOINT')
    .option('--args <ARG,...>', 'arguments override; empty string resets to the image CMD')
    .option('--tag <TAG>', 'traffic tag for the new revision (URL TAG---SERVICE-...)')
    .option('--no-traffic', 'do not move traffic to the new revision')
    .option('--revision-suffix <SUFFIX>', 'name the new revision SERVICE-SUFFIX')
    .option('--description <TEXT>', 'description of the service')
    .option('--cpu-throttling', 'CPU only during requests (default)')
    .option('--no-cpu-throttling', 'CPU always allocated')
    .option('--cpu-boost', 'extra CPU during startup')
    .option('--no-cpu-boost', 'no extra CPU during startup')
    .option('--execution-environment <ENV>', 'gen1 or gen2')
    .option('--platform <PLATFORM>', 'only "managed" is supported')
    .option('--async', 'return at once, without waiting for the operation to finish');
  collectionFlags(cmd, 'env-vars', 'environment variables', 'KEY=VALUE', [
    'set',
    'update',
    'remove',
    'clear',
  ]);
  cmd.option(
    '--env-vars-file <FILE>',
    'replace all environment variables with those of a YAML file (KEY: VALUE)',
  );
  cmd.option('--labels <KEY=VALUE,...>', 'labels to add or change (alias of --update-labels)', collect);
  collectionFlags(cmd, 'labels', 'labels', 'KEY=VALUE', ['update', 'remove', 'clear']);
  collectionFlags(cmd, 'custom-audiences', 'custom audiences', 'AUDIENCE', ['set', 'add', 'remove', 'clear']);
  if (deploy) {
    cmd
      .option(
        '--source <DIR>',
        'build the source folder (with a Dockerfile) first, into cloud-run-source-deploy',
      )
      .option('--allow-unauthenticated', 'let anyone invoke the service (adds allUsers as roles/run.invoker)')
      .option(
        '--no-allow-unauthenticated',
        'require authentication (removes allUsers from roles/run.invoker)',
      );
  }
  return cmd;
}

const MEMORY_RE = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const UNIT: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Checks `--memory`: a positive quantity with a unit, between 128Mi and 32Gi. */
export function parseMemory(v: string): string {
  const m = MEMORY_RE.exec(v.trim());
  if (!m)
    throw invalidFlag(
      '--memory',
      `[${v}] is not a memory size: use a number with a unit, such as 512Mi or 2Gi.`,
    );
  const bytes = Number(m[1]) * UNIT[m[2] ?? '']!;
  if (bytes < 128 * 2 ** 20 || bytes > 32 * 2 ** 30) {
    throw invalidFlag('--memory', `[${v}] is out of range: memory must be between 128Mi and 32Gi.`);
  }
  return v.trim();
}

export function parseCpu(v: string): string {
  const t = v.trim();
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(t);
  const n = m ? Number(m[1]) / (m[2] ? 1000 : 1) : NaN;
  if (!m || !(n > 0) || n > 8)
    throw invalidFlag('--cpu', `[${v}] is not a CPU amount: use e.g. 1, 2, 0.5 or 1000m (at most 8).`);
  return t;
}

/** `300`, `300s`, `10m5s`, `1h` -> seconds. */
export function parseDuration(flag: string, v: string): number {
  const t = v.trim();
  let total = 0;
  if (/^\d+$/.test(t)) total = Number(t);
  else {
    const re = /(\d+(?:\.\d+)?)(h|m|s)/g;
    let consumed = '';
    for (const m of t.matchAll(re)) {
      consumed += m[0];
      total += Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
    }
    if (consumed !== t || !t)
      throw invalidFlag(flag, `[${v}] is not a duration: use seconds (300) or e.g. 10m5s.`);
  }
  return total;
}

export function intFlag(flag: string, v: string, min: number, max: number): number | 'default' {
  if (v === 'default') return 'default';
  if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    throw invalidFlag(flag, `[${v}] must be an integer between ${min} and ${max}, or "default".`);
  }
  return Number(v);
}

/** The validated changes a deploy/update asks for; every field undefined means "leave as is". */
export interface ServiceChanges {
  image?: string;
  memory?: string;
  cpu?: string;
  timeoutSeconds?: number;
  concurrency?: number | 'default';
  minInstances?: number | 'default';
  maxInstances?: number | 'default';
  env: { set?: Record<string, string>; update: Record<string, string>; remove: string[] };
  serviceAccount?: string;
  invokerIamDisabled?: boolean;
  ingress?: string;
  port?: number | 'default';
  http2?: boolean;
  command?: string[];
  args?: string[];
  tag?: string;
  noTraffic: boolean;
  revisionSuffix?: string;
  labels: { clear: boolean; update: Record<string, string>; remove: string[] };
  description?: string;
  cpuThrottling?: boolean;
  cpuBoost?: boolean;
  executionEnvironment?: string;
  audiences: { set?: string[]; add: string[]; remove: string[] };
  async: boolean;
}

type Opts = Record<string, unknown>;
const s = (o: Opts, k: string): string | undefined =>
  typeof o[k] === 'string' ? (o[k] as string) : undefined;
const list = (o: Opts, k: string): string[] | undefined => (o[k] as string[] | undefined) ?? undefined;
/** The parsed value of a string flag, or undefined when it is not given. */
const opt = <T>(o: Opts, k: string, parse: (v: string) => T): T | undefined => {
  const v = s(o, k);
  return v === undefined ? undefined : parse(v);
};

function exclusive(o: Opts, flags: string[]): void {
  const given = flags.filter(
    (f) => o[f.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] !== undefined,
  );
  if (given.length > 1)
    throw userError(
      `${given.map((g) => `[${g}]`).join(' and ')} cannot be used together: pick one.`,
      'CONFLICTING_FLAGS',
    );
}

/** Parses and checks the env-var flags; `readFile` reads --env-vars-file. */
function envChanges(
  o: Opts,
  readFile: (p: string) => string,
  parseYaml: (t: string) => unknown,
): ServiceChanges['env'] {
  exclusive(o, ['--set-env-vars', '--env-vars-file', '--clear-env-vars']);
  exclusive(o, ['--set-env-vars', '--update-env-vars']);
  exclusive(o, ['--env-vars-file', '--update-env-vars']);
  let set: Record<string, string> | undefined;
  if (o.setEnvVars) set = parseKeyValues('--set-env-vars', list(o, 'setEnvVars'));
  if (o.clearEnvVars) set = {};
  const file = s(o, 'envVarsFile');
  if (file) {
    let doc: unknown;
    try {
      doc = parseYaml(readFile(file));
    } catch (e) {
      throw invalidFlag('--env-vars-file', `cannot read ${file}: ${(e as Error).message}`);
    }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc))
      throw invalidFlag('--env-vars-file', `${file} must be a YAML map of KEY: VALUE.`);
    set = {};
    for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null)
        throw invalidFlag('--env-vars-file', `the value of ${k} in ${file} must be a string.`);
      set[k] = String(v);
    }
  }
  const all = { ...(set ?? {}), ...parseKeyValues('--update-env-vars', list(o, 'updateEnvVars')) };
  for (const k of Object.keys(all)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw invalidFlag('--set-env-vars', `[${k}] is not a valid environment variable name.`);
    if (['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'].includes(k)) {
      throw invalidFlag('--set-env-vars', `[${k}] is reserved and set by tarmac.`);
    }
  }
  return {
    set,
    update: parseKeyValues('--update-env-vars', list(o, 'updateEnvVars')),
    remove: parseList(list(o, 'removeEnvVars')),
  };
}

/** Validates the flags of deploy/update into ServiceChanges; any bad value is a user error naming the flag. */
export function parseServiceFlags(
  o: Opts,
  io: { readFile: (p: string) => string; parseYaml: (t: string) => unknown },
): ServiceChanges {
  const platform = s(o, 'platform');
  if (platform && platform !== 'managed')
    throw invalidFlag('--platform', `[${platform}] is not supported: tarmac is always "managed".`);
  const ingress = s(o, 'ingress');
  if (ingress && !INGRESS_V2[ingress]) {
    throw invalidFlag(
      '--ingress',
      `[${ingress}] must be one of all, internal, internal-and-cloud-load-balancing.`,
    );
  }
  const env = s(o, 'executionEnvironment');
  if (env && !['gen1', 'gen2'].includes(env))
    throw invalidFlag('--execution-environment', `[${env}] must be gen1 or gen2.`);
  const timeout = s(o, 'timeout');
  const timeoutSeconds = timeout === undefined ? undefined : parseDuration('--timeout', timeout);
  if (timeoutSeconds !== undefined && (timeoutSeconds < 1 || timeoutSeconds > 3600)) {
    throw invalidFlag('--timeout', `[${timeout}] is out of range: between 1s and 3600s (60m).`);
  }
  const suffix = s(o, 'revisionSuffix');
  if (suffix !== undefined && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(suffix)) {
    throw invalidFlag('--revision-suffix', `[${suffix}] must be lowercase letters, digits and hyphens.`);
  }
  const tag = s(o, 'tag');
  if (tag !== undefined && !/^[a-z]([a-z0-9-]*[a-z0-9])?$/.test(tag)) {
    throw invalidFlag(
      '--tag',
      `[${tag}] must start with a letter and have only lowercase letters, digits and hyphens.`,
    );
  }
  exclusive(o, ['--set-custom-audiences', '--clear-custom-audiences']);
  return {
    image: s(o, 'image'),
    memory: opt(o, 'memory', parseMemory),
    cpu: opt(o, 'cpu', parseCpu),
    timeoutSeconds,
    concurrency: opt(o, 'concurrency', (v) => intFlag('--concurrency', v, 1, 1000)),
    minInstances: opt(o, 'minInstances', (v) => intFlag('--min-instances', v, 0, 1000)),
    maxInstances: opt(o, 'maxInstances', (v) => intFlag('--max-instances', v, 1, 1000)),
    env: envChanges(o, io.readFile, io.parseYaml),
    serviceAccount: s(o, 'serviceAccount'),
    invokerIamDisabled: o.invokerIamCheck === undefined ? undefined : !o.invokerIamCheck,
    ingress: ingress ? INGRESS_V2[ingress] : undefined,
    port: opt(o, 'port', (v) => intFlag('--port', v, 1, 65535)),
    http2: o.useHttp2 ? true : undefined,
    command: opt(o, 'command', parseList),
    args: opt(o, 'args', parseList),
    tag,
    noTraffic: o.traffic === false,
    revisionSuffix: suffix,
    labels: {
      clear: Boolean(o.clearLabels),
      update: {
        ...parseKeyValues('--labels', list(o, 'labels')),
        ...parseKeyValues('--update-labels', list(o, 'updateLabels')),
      },
      remove: parseList(list(o, 'removeLabels')),
    },
    description: s(o, 'description'),
    cpuThrottling: o.cpuThrottling as boolean | undefined,
    cpuBoost: o.cpuBoost as boolean | undefined,
    executionEnvironment: env ? `EXECUTION_ENVIRONMENT_${env.toUpperCase()}` : undefined,
    audiences: {
      set: o.clearCustomAudiences
        ? []
        : o.setCustomAudiences
          ? parseList(list(o, 'setCustomAudiences'))
          : undefined,
      add: parseList(list(o, 'addCustomAudiences')),
      remove: parseList(list(o, 'removeCustomAudiences')),
    },
    async: Boolean(o.async),
  };
}
