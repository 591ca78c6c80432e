import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Project } from './projects.ts';

/** The user the first start creates and makes owner of the default project. */
export const OWNER_EMAIL = 'owner@tarmac.localhost';

/** TARMAC_HOME/credentials.json: what the CLI and console need to reach and authenticate to tarmac. */
export interface OwnerCredentials {
  type: 'tarmac_user';
  apiEndpoint: string;
  project: string;
  projectNumber: string;
  region: string;
  account: string;
  /** A long-lived opaque API credential (Bearer); the token endpoint's refresh_token grant turns it into access tokens. */
  token: string;
  token_uri: string;
  issuer: string;
}

/** Reads the credentials file, or undefined when it is missing or unreadable. */
export function readCredentials(path: string): Partial<OwnerCredentials> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<OwnerCredentials>;
  } catch {
    return undefined;
  }
}

/** Writes the credentials file atomically with mode 0600, keeping fields other tools added. */
export function writeCredentials(
  path: string,
  c: { apiEndpoint: string; project: Project; region: string; account: string; token: string },
): OwnerCredentials {
  const existing = readCredentials(path) ?? {};
  const creds: OwnerCredentials = {
    ...existing,
    type: 'tarmac_user',
    apiEndpoint: c.apiEndpoint,
    project: c.project.projectId,
    projectNumber: c.project.projectNumber,
    region: c.region,
    account: c.account,
    token: c.token,
    token_uri: `${c.apiEndpoint}/token`,
    issuer: c.apiEndpoint,
  };
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return creds;
}
