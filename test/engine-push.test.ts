import { describe, expect, it } from 'vitest';
import { randomSuffix } from '../src/shared/index.ts';
import { usePlatform } from './harness.ts';
import { ownerToken } from './auth.ts';
import { DEBIAN_IMAGE, testEngine } from './engine.ts';

// The engine driver against the built-in registry: plain HTTP on loopback, with and without credentials.
describe('engine push and pull with a plain-HTTP registry', { timeout: 240_000 }, () => {
  it('pushes with credentials, returns the manifest digest, and pulls it back', async () => {
    const p = await usePlatform();
    const engine = testEngine();
    const ref = `localhost:${p.listeners.registry.port}/tarmac-project/enginepush-${randomSuffix(6)}:v1`;
    const auth = { username: 'oauth2accesstoken', password: ownerToken(p) };
    await engine.tag(DEBIAN_IMAGE, ref);
    try {
      await expect(engine.push(ref)).rejects.toMatchObject({ reason: 'PUSH_FAILED' });
      const lines: string[] = [];
      const { digest } = await engine.push(ref, auth, (l) => lines.push(l));
      expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      const head = await fetch(
        `${p.urls.registry}/v2/${ref.split('/').slice(1).join('/').replace(':v1', '')}/manifests/v1`,
        {
          method: 'HEAD',
          headers: {
            authorization: `Basic ${Buffer.from(`oauth2accesstoken:${auth.password}`).toString('base64')}`,
          },
        },
      );
      expect(head.headers.get('docker-content-digest')).toBe(digest);
      await engine.removeImage(ref);
      expect(await engine.imageExists(ref)).toBe(false);
      await expect(engine.pull(ref)).rejects.toMatchObject({ reason: 'PULL_FAILED' });
      await engine.pull(ref, auth);
      expect(await engine.imageExists(ref)).toBe(true);
    } finally {
      await engine.removeImage(ref);
    }
  });
});
