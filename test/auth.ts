import type { Platform } from '../src/platform.ts';
import { principalOfMember } from '../src/iam/index.ts';

/** The owner's long-lived API credential (what credentials.json holds). */
export function ownerToken(p: Platform): string {
  return p.iam.ownerCredentials.token;
}

/** `{authorization: 'Bearer OWNER_TOKEN'}` for fetch calls to the API listener. */
export function ownerHeaders(p: Platform): Record<string, string> {
  return { authorization: `Bearer ${ownerToken(p)}` };
}

/** A 1-hour access token for any member (`user:x@y`, `serviceAccount:sa@p.iam.gserviceaccount.com`). */
export function accessTokenAs(p: Platform, member: string): Promise<string> {
  return p.iam.accessTokenFor(principalOfMember(member));
}

/** An ID token for any member with the given audience (a service URL for ingress tests). */
export function idTokenAs(p: Platform, member: string, audience: string): Promise<string> {
  return p.iam.idTokenFor(principalOfMember(member), audience);
}

/** Headers carrying an access token for `member`. */
export async function headersAs(p: Platform, member: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await accessTokenAs(p, member)}` };
}

/** The default project's ID and number. */
export function defaultProject(p: Platform): { projectId: string; projectNumber: string } {
  return p.iam.projects.get(p.config.defaultProject);
}

/** Loosely typed JSON bodies: tests check them field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** A JSON request to the API listener, as the owner unless other headers are given. */
export async function apiCall(
  p: Platform,
  method: string,
  path: string,
  body?: unknown,
  headers = ownerHeaders(p),
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${p.urls.api}${path}`, {
    method,
    headers: { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}
