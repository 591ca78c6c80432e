import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerEngine, tarDirectory, writeDockerHubMirror } from '../src/runtime/index.ts';
import { BUSYBOX_IMAGE } from './busybox-image.ts';
import { testEngine } from './engine.ts';
import { usePlatform } from './harness.ts';

// The built-in registry as the engine's docker.io mirror, for real: an image published into a test
// registry under library/NAME is what an unchanged `FROM NAME` builds on, through a Podman service
// that reads the mirror drop-in tarmac writes. The machine's own registries.conf.d is not touched:
// this test's Podman service reads the drop-in from its own HOME (~/.config/containers/...), which
// containers/image reads after /etc/containers/registries.conf.d, so it wins for docker.io.

const LABELS = { 'dev.tarmac.test': 'registry-mirror' };

/** A `podman system service` on its own socket whose per-user registries.conf.d is `home`'s. */
async function mirroredEngine(home: string): Promise<{ engine: DockerEngine; child: ChildProcess }> {
  const sock = join(home, 'podman.sock');
  const child = spawn('podman', ['system', 'service', '--time=0', `unix://${sock}`], {
    env: { ...process.env, HOME: home },
    stdio: 'ignore',
  });
  const engine = new DockerEngine(`unix://${sock}`);
  for (let i = 0; ; i++) {
    try {
      await engine.ping();
      return { engine, child };
    } catch (e) {
      if (i > 150 || child.exitCode !== null) throw e;
      await new Promise((r) => setTimeout(r, 100)); // waiting for a process to come up, not for logic
    }
  }
}

describe('docker.io mirror', () => {
  it('builds FROM a docker.io short name served by the built-in registry', async () => {
    const p = await usePlatform();
    const host = new URL(p.urls.registry).host;
    const id = randomBytes(4).toString('hex');
    const name = `tarmac-mirror-test-${id}`;
    const source = `localhost/${name}-src:latest`;
    const built = `localhost/${name}-built:latest`;
    const work = mkdtempSync(join(tmpdir(), 'tarmac-mirror-'));
    const shared = testEngine();
    let service: ChildProcess | undefined;
    try {
      writeFileSync(join(work, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN echo mirror-${id} > /marker\n`);
      await shared.build({ context: tarDirectory(work), tag: source, labels: LABELS });
      const [published] = await p.publishBaseImages([{ source, repository: `library/${name}:latest` }]);
      expect(published?.ref).toBe(`${host}/library/${name}:latest`);
      // Gone from the engine store: the build below can only get it through the mirror.
      await shared.removeImage(source);
      expect(await shared.imageExists(`docker.io/library/${name}:latest`)).toBe(false);

      const home = join(work, 'home');
      const { path } = writeDockerHubMirror(host, join(home, '.config', 'containers', 'registries.conf.d'));
      expect(readFileSync(path, 'utf8')).toContain(`location = "${host}"`);
      const m = await mirroredEngine(home);
      service = m.child;

      writeFileSync(join(work, 'Dockerfile'), `FROM ${name}\nRUN grep -q mirror-${id} /marker\n`);
      await m.engine.build({ context: tarDirectory(work), tag: built, labels: LABELS });
      expect(await m.engine.imageExists(`docker.io/library/${name}:latest`)).toBe(true);

      // A name the mirror lacks falls through to docker.io itself (unreachable here): the mirror
      // entry only adds a first place to look.
      const absent = `docker.io/library/tarmac-mirror-absent-${id}:latest`;
      await expect(m.engine.pull(absent)).rejects.toThrow(/registry-1\.docker\.io|docker\.io/);
    } finally {
      for (const ref of [built, `docker.io/library/${name}:latest`, source]) {
        await shared.removeImage(ref, true).catch(() => undefined);
      }
      if (service && service.exitCode === null) {
        const exited = new Promise((r) => service!.once('exit', r));
        service.kill('SIGTERM');
        await exited;
      }
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
