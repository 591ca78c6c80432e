import { TarmacClient } from '../client/index.ts';

/** The typed client over the page's own origin; the session cookie authenticates, the header is CSRF. */
export const api = new TarmacClient({
  endpoint: location.origin,
  headers: () => ({ 'x-csrf-token': csrf() }),
});

function csrf(): string {
  const m = /(?:^|;\s*)tarmac_csrf=([^;]+)/.exec(document.cookie);
  return m ? decodeURIComponent(m[1]!) : '';
}

export interface Defaults {
  project: string;
  region: string;
}

export async function defaults(): Promise<Defaults> {
  return api.http.request<Defaults>('GET', '/console/api/config');
}

export function signedIn(): boolean {
  return csrf() !== '';
}

export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Scheduler jobs live under the default location. */
export function jobParent(ctx: Defaults): string {
  return `projects/${ctx.project}/locations/${ctx.region}`;
}

/** A page renders into `main` and may return a function that stops its timers and streams. */
export type Page = (main: HTMLElement, ctx: Defaults, params: string[]) => Promise<(() => void) | void>;

/** Re-renders the current page (set by main.ts; pages call it after a change). */
export const view = { refresh: (): void => undefined };
