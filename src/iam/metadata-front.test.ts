import { request } from 'node:http';
import { createServer } from 'node:net';
import { randomInt } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../shared/index.ts';
import { FRONT_HEADER, MetadataFront } from './metadata-front.ts';
import { MetadataServer } from './metadata.ts';
import { makeIam } from './test-fixture.ts';

/** A port free on 127.0.0.1 now (the test's stand-in for 80, which needs root and is machine-wide). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

function get(
  port: number,
  from: string,
  path = '/computeMetadata/v1/instance/service-accounts/default/email',
) {
  return new Promise<{ status: number; body: string; front: boolean }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        localAddress: from,
        headers: { 'metadata-flavor': 'Google' },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, front: res.headers[FRONT_HEADER] === '1' }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('MetadataFront (the shared port-80 listener)', () => {
  it(
    'pipes each instance to the installation owning its address; one front at a time, the next takes over',
    { timeout: 15_000 },
    async () => {
      const { iam, clock, dispose } = await makeIam();
      cleanup.push(dispose);
      const port = await freePort();
      const project = iam.projects.get('tarmac-project');
      const a = iam.serviceAccounts.create(project, 'runner-a').email;
      const b = iam.serviceAccounts.create(project, 'runner-b').email;
      const log = silentLogger();
      // Two installations' metadata servers, each with one instance, on random instance addresses.
      const x = randomInt(1, 250);
      const [addrA, addrB, stranger] = [`127.1.${x}.11`, `127.1.${x}.12`, `127.1.${x}.13`];
      const base = { project: 'tarmac-project', projectNumber: project.projectNumber, region: 'us-central1' };
      const one = new MetadataServer(iam, clock, log, port);
      const two = new MetadataServer(iam, clock, log, port);
      cleanup.push(
        () => one.dispose(),
        () => two.dispose(),
      );
      one.register(addrA, {
        ...base,
        service: 'a',
        revision: 'a-1',
        instanceId: 'ia',
        serviceAccountEmail: a,
      });
      two.register(addrB, {
        ...base,
        service: 'b',
        revision: 'b-1',
        instanceId: 'ib',
        serviceAccountEmail: b,
      });
      await expect.poll(() => one.listeningFor(addrA) && two.listeningFor(addrB)).toBe(true);

      const first = new MetadataFront(clock, log, '127.0.0.1', port);
      const second = new MetadataFront(clock, log, '127.0.0.1', port);
      cleanup.push(
        () => first.dispose(),
        () => second.dispose(),
      );
      expect(await first.start()).toEqual({ listening: true });
      expect(await second.start()).toEqual({ listening: false, error: 'EADDRINUSE' });

      expect(await get(port, addrA)).toMatchObject({ status: 200, body: a });
      expect(await get(port, addrB)).toMatchObject({ status: 200, body: b });
      // Nobody owns the address, or it is no instance address at all: refused by the front itself.
      expect(await get(port, stranger)).toMatchObject({ status: 403, front: true });
      expect(await get(port, '127.0.0.1')).toMatchObject({ status: 403, front: true });
      // An instance asking for another account by email gets nothing.
      expect(
        (await get(port, addrA, `/computeMetadata/v1/instance/service-accounts/${b}/email`)).status,
      ).toBe(404);

      await first.dispose();
      await expect(get(port, addrA)).rejects.toThrow(/ECONNREFUSED/);
      clock.advance(2000);
      await expect.poll(() => second.status.listening).toBe(true);
      expect(await get(port, addrB)).toMatchObject({ status: 200, body: b });

      two.unregister(addrB);
      await expect.poll(() => two.listeningFor(addrB)).toBe(false);
      expect(await get(port, addrB)).toMatchObject({ status: 403, front: true });
    },
  );
});
