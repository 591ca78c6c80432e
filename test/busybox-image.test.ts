import { describe, expect, it } from 'vitest';
import { ensureBusyboxImage } from './busybox-image.ts';
import { testEngine } from './engine.ts';

describe('busybox test image', () => {
  it('is built from the host static busybox and runs its applets', async () => {
    const engine = testEngine();
    const tag = `localhost/bbtest-verify:${Date.now()}`;
    await ensureBusyboxImage(engine, tag);
    expect(await engine.imageExists(tag)).toBe(true);
    const id = await engine.create({
      name: `bbverify-${Date.now()}`,
      image: tag,
      command: ['/bin/sh', '-c', 'echo ok; wget --help >/dev/null 2>&1 && echo wget'],
    });
    await engine.start(id);
    const lines: string[] = [];
    for await (const l of engine.logs(id, { follow: true })) lines.push(l.text.trim());
    await engine.remove(id);
    await engine.removeImage(tag, true);
    expect(lines).toEqual(['ok', 'wget']);
  }, 120_000);
});
