import { describe, expect, it } from 'vitest';
import { stopPlatform, tempHome, usePlatform } from './harness.ts';
import { MetaRepo } from '../src/store/index.ts';

describe('platform', () => {
  it('answers health on all three listeners', async () => {
    const p = await usePlatform();
    for (const url of Object.values(p.urls)) {
      const res = await fetch(`${url}/healthz`);
      expect(res.status).toBe(200);
    }
  });

  it('keeps its state across a restart on the same home', async () => {
    const home = tempHome();
    const first = await usePlatform({ home });
    const id = first.installationId;
    await stopPlatform(first);
    const second = await usePlatform({ home });
    expect(second.installationId).toBe(id);
    expect(new MetaRepo(second.db).get('installation_id')).toBe(id);
  });
});
