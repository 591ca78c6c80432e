import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TarmacClient, asKeyFile, exchangeKeyFile } from '../../client/index.ts';
import { render, type PrintOptions } from './format/index.ts';
import { FilterSyntaxError, parseFilter, sortBy } from './format/filter.ts';
import { ConfigStore, Properties, type Env } from './properties.ts';
import { userError } from './errors.ts';
import { Progress } from './progress.ts';

/** The process a command talks to: streams, environment, terminal or not. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Env;
  /** Prompts and spinners only when both stdin and stderr are terminals. */
  interactive: boolean;
  cwd: string;
}

/** Flags every command takes (see README.md). */
export interface GlobalFlags {
  project?: string;
  region?: string;
  format?: string;
  quiet?: boolean;
  verbosity?: string;
  configuration?: string;
  accessTokenFile?: string;
}

/** A list command's --filter, --sort-by and --limit. */
export interface Listing {
  filter?: string;
  sortBy?: string[];
  limit?: number;
}

/** The installation's defaults, read from TARMAC_HOME/credentials.json (written by `tarmac serve`). */
export interface Installation {
  file: string;
  apiEndpoint?: string;
  project?: string;
  region?: string;
  token?: string;
  account?: string;
}

const str = (o: Record<string, unknown>, ...keys: string[]): string | undefined => {
  for (const k of keys) if (typeof o[k] === 'string' && o[k]) return o[k] as string;
  return undefined;
};

export function readInstallation(home: string): Installation {
  const file = join(home, 'credentials.json');
  if (!existsSync(file)) return { file };
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw userError(`Cannot read ${file}: ${(e as Error).message}. Restart \`tarmac serve\` to rewrite it.`);
  }
  return {
    file,
    apiEndpoint: str(o, 'api_endpoint', 'apiEndpoint', 'endpoint', 'api'),
    project: str(o, 'project', 'project_id', 'projectId'),
    region: str(o, 'region', 'default_region'),
    token: str(o, 'token', 'access_token', 'accessToken'),
    account: str(o, 'account', 'email', 'client_email'),
  };
}

const VERBOSITY = ['debug', 'info', 'warning', 'error', 'critical', 'none'];

/** Everything a command's handler needs: properties, clients, output, prompts, progress. */
export class Context {
  readonly props: Properties;
  private installationCache: Installation | undefined;
  private clientCache: TarmacClient | undefined;
  /** Set for list commands when --filter, --sort-by or --limit is given. */
  listing: Listing | undefined;

  constructor(
    readonly io: CliIo,
    /** `tarmac.run.deploy`: names the command in error messages. */
    readonly command: string,
    readonly flags: GlobalFlags,
  ) {
    const store = new ConfigStore(io.env);
    this.props = new Properties(
      store,
      store.active(flags.configuration),
      io.env,
      { 'core/project': flags.project, 'run/region': flags.region, 'core/verbosity': flags.verbosity },
      () => {
        const i = this.installation();
        return {
          'core/project': i.project,
          'run/region': i.region,
          'core/api_endpoint': i.apiEndpoint,
          'core/account': i.account,
        };
      },
    );
  }

  installation(): Installation {
    const home = this.io.env.TARMAC_HOME || this.props.store.read(this.props.configuration).core?.tarmac_home;
    return (this.installationCache ??= readInstallation(home || join(homedir(), '.tarmac')));
  }

  get verbosity(): string {
    const v = this.props.get('core/verbosity') ?? 'warning';
    if (!VERBOSITY.includes(v))
      throw userError(`Invalid value for [--verbosity]: ${v}; use one of ${VERBOSITY.join(', ')}.`);
    return v;
  }

  get debug(): boolean {
    return this.verbosity === 'debug';
  }

  get quiet(): boolean {
    return Boolean(this.flags.quiet) || this.props.get('core/disable_prompts') === 'true';
  }

  /** The project: --project, env, `config set project`, or the installation's default project. */
  project(): string {
    const p = this.props.get('core/project');
    if (!p) {
      throw userError(
        'The required property [project] is not currently set. Set it with `tarmac config set project PROJECT_ID` or pass --project.',
      );
    }
    return p;
  }

  /** A region from --region, then the property (run/region by default), then the installation default. */
  region(property = 'run/region'): string {
    const r = this.flags.region || this.props.get(property) || this.props.get('run/region');
    if (!r) {
      throw userError(
        `Missing required argument [--region]: set it with \`tarmac config set ${property} REGION\` or pass --region.`,
      );
    }
    return r;
  }

  /** The API base URL, honouring api_endpoint_overrides/API, then core/api_endpoint. */
  endpoint(api = 'run'): string {
    const e = this.props.get(`api_endpoint_overrides/${api}`) ?? this.props.get('core/api_endpoint');
    if (!e) {
      throw userError(
        `No tarmac API endpoint is known: ${this.installation().file} does not exist. Start tarmac with \`tarmac serve\`, or set one with \`tarmac config set core/api_endpoint URL\`.`,
        'NO_ENDPOINT',
      );
    }
    return e;
  }

  /** The bearer token: --access-token-file, TARMAC_ACCESS_TOKEN, auth/access_token_file, installation owner token. */
  token(): string | undefined {
    const file = this.flags.accessTokenFile || this.props.get('auth/access_token_file');
    if (file) {
      try {
        return readFileSync(file, 'utf8').trim();
      } catch (e) {
        throw userError(`Cannot read the access token file ${file}: ${(e as Error).message}`);
      }
    }
    return (
      this.io.env.TARMAC_ACCESS_TOKEN || this.io.env.CLOUDSDK_AUTH_ACCESS_TOKEN || this.installation().token
    );
  }

  /** The activated service account key file (`auth activate-service-account`), unless a token is given explicitly. */
  keyFile(): string | undefined {
    const explicit =
      this.flags.accessTokenFile ||
      this.props.get('auth/access_token_file') ||
      this.io.env.TARMAC_ACCESS_TOKEN ||
      this.io.env.CLOUDSDK_AUTH_ACCESS_TOKEN;
    return explicit ? undefined : this.props.get('auth/credential_file_override');
  }

  /** The bearer token source: an activated key file is exchanged for an access token once per command. */
  private tokenSource(): string | (() => Promise<string | undefined>) | undefined {
    const file = this.keyFile();
    if (!file) return this.token();
    let cached: Promise<string | undefined> | undefined;
    return () => {
      cached ??= (async () => {
        const key = asKeyFile(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
        return (await exchangeKeyFile(key, {})).access_token;
      })();
      return cached;
    };
  }

  /**
   * An ID token for the current identity (as `gcloud auth print-identity-token`): the token endpoint's
   * refresh grant turns the stored credential into one; a credential that is already a JWT is used as is.
   */
  async identityToken(audience?: string): Promise<string> {
    const token = this.token();
    if (!token)
      throw userError(
        'No credentials: there is no token to present. See `tarmac config get core/account`.',
        'NO_CREDENTIALS',
      );
    if (token.split('.').length === 3) return token;
    const answer = await this.client().oauth.refresh(token, audience);
    if (!answer.id_token)
      throw userError('The token endpoint gave no ID token for these credentials.', 'NO_ID_TOKEN');
    return answer.id_token;
  }

  /** The clients for every API, for the endpoint of `api`. */
  client(api = 'run'): TarmacClient {
    if (api === 'run' && this.clientCache) return this.clientCache;
    const c = new TarmacClient({
      endpoint: this.endpoint(api),
      token: this.tokenSource(),
      userAgent: 'tarmac-cli',
    });
    if (api === 'run') this.clientCache = c;
    return c;
  }

  /** Prints a result on stdout in --format (or the command's default). */
  print(data: unknown, opts: Omit<PrintOptions, 'format'> = {}): void {
    if (opts.list && this.listing && Array.isArray(data)) data = applyListing(data, this.listing);
    this.io.stdout.write(render(data, { ...opts, format: this.flags.format }));
  }

  /** A status line on stderr, as gcloud reports progress and results. */
  status(text: string): void {
    if (['error', 'critical', 'none'].includes(this.verbosity)) return;
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  warn(text: string): void {
    if (['critical', 'none'].includes(this.verbosity)) return;
    this.io.stderr.write(`WARNING: ${text}\n`);
  }

  /** Asks a yes/no question on a terminal; without one (or with --quiet) answers `fallback`. */
  async confirm(question: string, fallback: boolean): Promise<boolean> {
    if (this.quiet || !this.io.interactive) return fallback;
    const rl = createInterface({ input: this.io.stdin, output: this.io.stderr });
    try {
      const answer = await new Promise<string>((resolve) =>
        rl.question(`${question} (${fallback ? 'Y/n' : 'y/N'})?  `, resolve),
      );
      const a = answer.trim().toLowerCase();
      return a === '' ? fallback : a.startsWith('y');
    } finally {
      rl.close();
    }
  }

  /** Refuses to go on unless the user agrees (always agreed with --quiet or without a terminal). */
  async confirmOrCancel(message: string): Promise<void> {
    if (this.quiet || !this.io.interactive) return;
    this.io.stderr.write(`${message}\n\n`);
    if (!(await this.confirm('Do you want to continue', true)))
      throw userError('Aborted by user.', 'ABORTED_BY_USER');
  }

  /** gcloud-style staged progress on stderr; a spinner when on a terminal. */
  progress(title: string, stages: { key: string; label: string }[]): Progress {
    return new Progress(
      this.io.stderr,
      this.io.interactive && !['error', 'critical', 'none'].includes(this.verbosity),
      title,
      stages,
    );
  }
}

/** --sort-by, then --filter, then --limit, in gcloud's order. */
function applyListing(items: unknown[], l: Listing): unknown[] {
  let out = l.sortBy ? [...items].sort(sortBy(l.sortBy)) : items;
  if (l.filter) {
    let keep;
    try {
      keep = parseFilter(l.filter);
    } catch (e) {
      if (e instanceof FilterSyntaxError)
        throw userError(`Invalid value for [--filter]: ${e.message} in [${l.filter}].`, 'BAD_FILTER');
      throw e;
    }
    out = out.filter(keep);
  }
  return l.limit === undefined ? out : out.slice(0, l.limit);
}
