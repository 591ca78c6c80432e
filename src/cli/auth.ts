import { copyFileSync, chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { asKeyFile, exchangeKeyFile, refreshCredential } from '../client/index.ts';
import { registerConfigureDocker } from './configure-docker.ts';
import { defineCommand, userError, type Context } from './core/index.ts';

/** The audience of a person's ID token when none is asked for (tarmac's CLI client id). */
const CLI_AUDIENCE = 'tarmac-cli';
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

function activeKey(ctx: Context): ReturnType<typeof asKeyFile> | undefined {
  const file = ctx.keyFile();
  if (!file) return undefined;
  try {
    return asKeyFile(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
  } catch (e) {
    throw userError(`Cannot use the activated key file ${file}: ${(e as Error).message}`);
  }
}

function installationToken(ctx: Context): string {
  const t = ctx.token();
  if (!t)
    throw userError('No credentials: start `tarmac serve` or run `tarmac auth activate-service-account`.');
  return t;
}

async function identityToken(ctx: Context, opts: Record<string, unknown>): Promise<string> {
  const audience = typeof opts.audiences === 'string' ? opts.audiences : undefined;
  const impersonate = opts.impersonateServiceAccount as string | undefined;
  if (impersonate) {
    const r = await ctx
      .client('iamcredentials')
      .iam.generateIdToken(impersonate, audience ?? CLI_AUDIENCE, Boolean(opts.includeEmail));
    return r.token;
  }
  const key = activeKey(ctx);
  if (key) {
    if (!audience)
      throw userError('Service account credentials need --audiences (the URL of the service to call).');
    const t = await exchangeKeyFile(key, { targetAudience: audience });
    if (!t.id_token) throw userError('The token endpoint returned no ID token.');
    return t.id_token;
  }
  const t = await refreshCredential(ctx.endpoint('iam'), installationToken(ctx), audience ?? CLI_AUDIENCE);
  if (!t.id_token) throw userError('The token endpoint returned no ID token.');
  return t.id_token;
}

async function accessToken(ctx: Context, opts: Record<string, unknown>): Promise<string> {
  const impersonate = opts.impersonateServiceAccount as string | undefined;
  if (impersonate)
    return (await ctx.client('iamcredentials').iam.generateAccessToken(impersonate, [CLOUD_PLATFORM]))
      .accessToken;
  const key = activeKey(ctx);
  const t = key
    ? await exchangeKeyFile(key, { scope: CLOUD_PLATFORM })
    : await refreshCredential(ctx.endpoint('iam'), installationToken(ctx));
  if (!t.access_token) throw userError('The token endpoint returned no access token.');
  return t.access_token;
}

/** `tarmac auth ...`: tokens for curl and scripts, and service account credentials for the CLI. */
export function register(group: Command): void {
  group.description('Manage the credentials the CLI uses and print tokens.');
  defineCommand(group, {
    name: 'print-identity-token',
    summary: 'Print an ID token for the active account',
    description:
      'Prints an OIDC ID token from tarmac for the active account (or an impersonated service account).',
    examples: [
      'curl -H "Authorization: Bearer $(tarmac auth print-identity-token)" http://hello-123456789012.us-central1.run.localhost:8080',
      'tarmac auth print-identity-token --audiences=http://hello-123456789012.us-central1.run.localhost:8080 --impersonate-service-account=sa@my-project.iam.gserviceaccount.com',
    ],
    run: async (ctx, _args, opts) => {
      ctx.io.stdout.write(`${await identityToken(ctx, opts)}\n`);
    },
  })
    .option('--audiences <AUDIENCE>', 'the aud claim (the URL of the service to call)')
    .option(
      '--impersonate-service-account <EMAIL>',
      'mint for this service account (needs Token Creator on it)',
    )
    .option('--include-email', 'add email and email_verified claims (impersonation)')
    .option('--token-format <FORMAT>', 'standard or full (accepted for gcloud compatibility)');

  defineCommand(group, {
    name: 'print-access-token',
    summary: 'Print an access token for the active account',
    run: async (ctx, _args, opts) => {
      ctx.io.stdout.write(`${await accessToken(ctx, opts)}\n`);
    },
  }).option(
    '--impersonate-service-account <EMAIL>',
    'mint for this service account (needs Token Creator on it)',
  );

  defineCommand(group, {
    name: 'activate-service-account [ACCOUNT]',
    summary: 'Authenticate the CLI as a service account with a key file',
    examples: ['tarmac auth activate-service-account --key-file=key.json'],
    run: async (ctx, [account], opts) => {
      if (typeof opts.keyFile !== 'string')
        throw userError('Missing required argument [--key-file].', 'KEY_FILE_REQUIRED');
      let key;
      try {
        key = asKeyFile(JSON.parse(readFileSync(opts.keyFile, 'utf8')) as unknown, opts.keyFile);
      } catch (e) {
        throw userError(`Cannot use ${opts.keyFile}: ${(e as Error).message}`, 'BAD_KEY_FILE');
      }
      if (account && account !== key.client_email) {
        throw userError(`The key file is for ${key.client_email}, not ${account}.`, 'ACCOUNT_MISMATCH');
      }
      await exchangeKeyFile(key, { scope: CLOUD_PLATFORM });
      const dir = join(ctx.props.store.dir, 'legacy_credentials', key.client_email);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stored = join(dir, 'adc.json');
      copyFileSync(opts.keyFile, stored);
      chmodSync(stored, 0o600);
      const name = ctx.props.configuration;
      const ini = ctx.props.store.read(name);
      ini.core = { ...ini.core, account: key.client_email };
      ini.auth = { ...ini.auth, credential_file_override: stored };
      ctx.props.store.write(name, ini);
      ctx.status(`Activated service account credentials for: [${key.client_email}]`);
    },
  }).option('--key-file <FILE>', 'the JSON key file from `tarmac iam service-accounts keys create`');
  registerConfigureDocker(group);
}
