import { describe, expect, it } from 'vitest';
import { usePlatform } from '../harness.ts';
import { ownerToken } from '../auth.ts';

describe('console sessions', () => {
  it('serves the bundle, signs in with a one-time link, and enforces CSRF on writes', async () => {
    const p = await usePlatform();
    const api = p.urls.api;
    const token = await ownerToken(p);
    const js = await fetch(`${api}/console/app.js`);
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeLessThan(200_000);
    const link = await fetch(`${api}/console/api/login-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const { path } = (await link.json()) as { path: string };
    const login = await fetch(`${api}${path}`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const cookies = login.headers.getSetCookie();
    expect(cookies[0]).toMatch(/HttpOnly; SameSite=Strict/);
    const jar = cookies.map((c) => c.split(';')[0]).join('; ');
    const csrf = /tarmac_csrf=([^;]+)/.exec(jar)![1]!;
    const again = await fetch(`${api}${path}`, { redirect: 'manual' });
    expect(again.headers.get('location')).toContain('expired');
    const project = p.config.defaultProject;
    const list = await fetch(`${api}/v1/projects/${project}/serviceAccounts`, { headers: { cookie: jar } });
    expect(list.status).toBe(200);
    const body = JSON.stringify({ accountId: 'console-sa', serviceAccount: {} });
    const url = `${api}/v1/projects/${project}/serviceAccounts`;
    const noCsrf = await fetch(url, {
      method: 'POST',
      headers: { cookie: jar, 'content-type': 'application/json' },
      body,
    });
    expect(noCsrf.status).toBe(403);
    expect(JSON.stringify(await noCsrf.json())).toContain('CSRF');
    const ok = await fetch(url, {
      method: 'POST',
      headers: { cookie: jar, 'content-type': 'application/json', 'x-csrf-token': csrf },
      body,
    });
    expect(ok.status).toBe(200);
  });
});
