import { describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { cliEnv, runTarmac } from '../cli/run-tarmac.ts';

async function signIn(url: string): Promise<Response> {
  return fetch(url, { redirect: 'manual' });
}

describe('tarmac console', () => {
  it('prints a one-time signed-in URL for the owner; the start URL is reusable', async () => {
    const p = await usePlatform();
    const env = cliEnv({ TARMAC_HOME: p.paths.home });
    const r = await runTarmac(['console'], env);
    expect(r.code, r.stderr).toBe(0);
    const url = r.stdout.trim();
    expect(url).toMatch(new RegExp(`^${p.urls.api}/console/login\\?token=[\\w-]+$`));
    const first = await signIn(url);
    expect(first.headers.get('location')).toBe('/console/');
    expect(first.headers.getSetCookie().join()).toMatch(/tarmac_session=[\w-]+; Path=\/; HttpOnly/);
    expect((await signIn(url)).headers.get('location')).toContain('login=expired');

    const json = await runTarmac(['console', '--format=json'], env);
    expect(JSON.parse(json.stdout)).toEqual({ url: expect.stringContaining('/console/login?token=') });

    const start = p.consoleUrl();
    for (let i = 0; i < 2; i++) expect((await signIn(start)).headers.get('location')).toBe('/console/');

    const bad = await runTarmac(['console'], { ...env, TARMAC_ACCESS_TOKEN: 'nope' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('UNAUTHENTICATED');
  });
});
