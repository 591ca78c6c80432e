import type { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomSuffix } from '../shared/index.ts';
import {
  LABEL_MANAGED,
  LABEL_OWNER,
  type ContainerEngine,
  type ContainerEvent,
  type ContainerSpec,
  type LogLine,
} from './engine.ts';

type Cmd = Pick<ContainerSpec, 'command' | 'args'>;

/** One engine under test, with how to express each behaviour the cases need on it. */
export interface ConformanceTarget {
  name: string;
  engine: () => Promise<ContainerEngine>;
  /** Image that runs every program below. */
  image: string;
  /** Image that runs `http`. */
  httpImage: string;
  programs: {
    /** Runs until SIGTERM, then exits. */
    sleep: Cmd;
    /** Ignores SIGTERM. */
    ignoreTerm: Cmd;
    /** Prints `out` on stdout and `err` on stderr, exits 3. */
    exit3: Cmd;
    /** Prints `tick N` every ~200 ms. */
    ticker: Cmd;
    /** Uses ~200 MB of memory. */
    allocate: Cmd;
    /** Answers HTTP `Hello $NAME!` on $PORT. */
    http: Cmd;
  };
  /** Tar stream of the hello-python sample (Dockerfile FROM python:3.11-slim). */
  helloPython: () => Readable;
  /** Tar stream of a context whose Dockerfile fails (`RUN false`). */
  failing: () => Readable;
  slowBuildMs: number;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The engine conformance suite: the same cases for the fake engine and for real Podman/Docker. */
export function engineConformance(t: ConformanceTarget): void {
  describe(`ContainerEngine conformance: ${t.name}`, () => {
    let engine: ContainerEngine;
    const owner = `conformance-${randomSuffix(8)}`;
    const labels = { [LABEL_MANAGED]: 'true', [LABEL_OWNER]: owner };
    const name = (): string => `tarmac-conf-${randomSuffix(10)}`;
    const run = async (cmd: Cmd, extra: Partial<ContainerSpec> = {}): Promise<string> => {
      const id = await engine.create({ name: name(), image: t.image, labels, ...cmd, ...extra });
      await engine.start(id);
      return id;
    };
    const exited = (id: string, ms?: number): Promise<number> =>
      until(
        'exit',
        async () =>
          (await engine.inspect(id)).running ? undefined : ((await engine.inspect(id)).exitCode ?? -1),
        ms,
      );

    beforeAll(async () => {
      engine = await t.engine();
    });
    afterEach(async () => {
      for (const c of await engine.list(labels)) await engine.remove(c.id);
    });

    it('reports its name, version and memory enforcement', async () => {
      const info = await engine.info();
      expect(info.version).not.toBe('');
      expect(info.memoryLimit).toBe(true);
      await engine.ping();
    });

    it('runs a container to its exit code, with stdout and stderr apart', async () => {
      const id = await run(t.programs.exit3);
      expect(await exited(id)).toBe(3);
      const st = await engine.inspect(id);
      expect(st).toMatchObject({ running: false, exitCode: 3, oomKilled: false });
      expect(st.labels[LABEL_OWNER]).toBe(owner);
      const lines: LogLine[] = [];
      for await (const l of engine.logs(id, { timestamps: true })) lines.push(l);
      expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['out']);
      expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.text)).toEqual(['err']);
      expect(Number.isNaN(Date.parse(lines[0]!.time))).toBe(false);
    });

    it(
      'publishes the port on 127.0.0.1 and passes env',
      async () => {
        const id = await engine.create({
          name: name(),
          image: t.httpImage,
          labels,
          ...t.programs.http,
          env: { PORT: '8080', NAME: 'Conformance' },
          port: 8080,
          memoryBytes: 256 * 1024 * 1024,
        });
        await engine.start(id);
        const st = await engine.inspect(id);
        expect(st.running).toBe(true);
        expect(st.hostPort).toBeGreaterThan(0);
        const body = await until('http answer', async () => {
          const res = await fetch(`http://127.0.0.1:${st.hostPort}/`, {
            signal: AbortSignal.timeout(3000),
          }).catch(() => undefined);
          return res?.status === 200 ? res.text() : undefined;
        });
        expect(body).toContain('Hello Conformance!');
      },
      t.slowBuildMs,
    );

    it('stops with SIGTERM well before the grace period when the program exits on it', async () => {
      const id = await run(t.programs.sleep);
      const started = Date.now();
      await engine.stop(id, 20);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await engine.inspect(id)).running).toBe(false);
      await engine.stop(id, 1); // stopping a stopped container is not an error
    });

    it('kills a container that ignores SIGTERM after the grace period', async () => {
      const id = await run(t.programs.ignoreTerm);
      const started = Date.now();
      await engine.stop(id, 2);
      const took = Date.now() - started;
      const st = await engine.inspect(id);
      expect(st.running).toBe(false);
      expect(st.exitCode).toBe(137);
      expect(took).toBeGreaterThanOrEqual(1_500);
    });

    it('kills a container over its memory limit and reports OOMKilled (inspect and watch)', async () => {
      const events: ContainerEvent[] = [];
      const w = engine.watch(labels, (e) => events.push(e));
      try {
        const id = await run(t.programs.allocate, { memoryBytes: 64 * 1024 * 1024 });
        expect(await exited(id)).toBe(137);
        const st = await engine.inspect(id);
        expect(st.oomKilled).toBe(true);
        // The memory cgroup holds usage at the limit, so the reported use is the limit (or just under).
        expect(st.memoryUsedBytes).toBeGreaterThan(60 * 1024 * 1024);
        const die = await until('die event', async () => events.find((e) => e.id === id && e.type === 'die'));
        expect(die.exitCode).toBe(137);
        expect(events.some((e) => e.id === id && e.type === 'oom')).toBe(true);
      } finally {
        w.close();
      }
    });

    it('streams logs live while the container runs', async () => {
      const id = await run(t.programs.ticker);
      const ac = new AbortController();
      const seen: string[] = [];
      const started = Date.now();
      for await (const l of engine.logs(id, { follow: true, signal: ac.signal })) {
        seen.push(l.text);
        if (seen.length === 3) ac.abort();
      }
      expect(seen).toEqual(['tick 1', 'tick 2', 'tick 3']);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await engine.inspect(id)).running).toBe(true);
    });

    it('lists only containers with the given labels; remove and kill are idempotent', async () => {
      const a = await run(t.programs.sleep);
      const other = { ...labels, [LABEL_OWNER]: `${owner}-other` };
      const b = await engine.create({ name: name(), image: t.image, labels: other, ...t.programs.sleep });
      try {
        expect((await engine.list(labels)).map((c) => c.id)).toEqual([a]);
        await engine.kill(a);
        await exited(a);
        await engine.kill(a); // killing a stopped container is not an error
        await engine.kill(a);
        await engine.remove(a);
        await engine.remove(a);
        await expect(engine.inspect(a)).rejects.toMatchObject({ reason: 'CONTAINER_NOT_FOUND' });
        expect(await engine.list(labels)).toEqual([]);
      } finally {
        await engine.remove(b);
      }
    });

    it('fails to create from an unknown image with IMAGE_NOT_FOUND', async () => {
      await expect(
        engine.create({ name: name(), image: 'localhost/tarmac-no-such-image:nope', labels }),
      ).rejects.toMatchObject({ reason: 'IMAGE_NOT_FOUND' });
      expect(await engine.imageExists('localhost/tarmac-no-such-image:nope')).toBe(false);
    });

    it(
      'builds the hello-python sample offline, tags it, and the image answers on its port',
      async () => {
        const tag = `localhost/tarmac-conformance/hello-${randomSuffix(6)}:v1`;
        const log: string[] = [];
        const { imageId } = await engine.build({
          context: t.helloPython(),
          tag,
          labels,
          onLog: (l) => log.push(l),
        });
        try {
          expect(imageId).toMatch(/^sha256:[a-f0-9]{64}$/);
          expect(log.length).toBeGreaterThan(0);
          expect(await engine.imageExists(tag)).toBe(true);
          const copy = tag.replace(':v1', ':v2');
          await engine.tag(tag, copy);
          expect((await engine.inspectImage(copy)).id).toBe((await engine.inspectImage(tag)).id);
          await engine.removeImage(copy);
          const id = await engine.create({
            name: name(),
            image: tag,
            labels,
            env: { PORT: '8080', K_SERVICE: 'hello' },
            port: 8080,
          });
          await engine.start(id);
          const port = (await engine.inspect(id)).hostPort!;
          const body = await until('hello-python answer', async () => {
            const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3000) }).catch(
              () => undefined,
            );
            return res?.status === 200 ? res.text() : undefined;
          });
          expect(body).toMatch(/^Hello World! service=hello/);
          await engine.remove(id);
        } finally {
          await engine.removeImage(tag, true);
        }
      },
      t.slowBuildMs,
    );

    it(
      'reports a failing build as BUILD_FAILED and an aborted one as BUILD_CANCELLED',
      async () => {
        const tag = `localhost/tarmac-conformance/fail-${randomSuffix(6)}:v1`;
        await expect(engine.build({ context: t.failing(), tag })).rejects.toMatchObject({
          reason: 'BUILD_FAILED',
        });
        const ac = new AbortController();
        ac.abort();
        await expect(
          engine.build({ context: t.helloPython(), tag, signal: ac.signal }),
        ).rejects.toMatchObject({
          reason: 'BUILD_CANCELLED',
        });
      },
      t.slowBuildMs,
    );
  });
}
