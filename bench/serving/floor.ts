/**
 * The floor under the ingress's CPU per request: the same process relays bytes between each client
 * connection and its own connection to the instance (net.Socket 'data' -> write, no parsing, nothing
 * added), beside the ingress, alternating rounds. What the relay costs is what Node's sockets cost
 * for one read and one write per direction; the difference to the ingress is tarmac's HTTP work.
 *   npx tsx bench/serving/floor.ts [seconds=8] [connections=32] [rounds=2]
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { startRig } from '../../test/serving/rig.ts';
import { deployPythonApp, formatWrk, withCpu, wrk } from './common.ts';

const seconds = Number(process.argv[2] ?? 8);
const connections = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 2);

/** A byte relay: each client connection gets its own upstream connection. */
function relay(port: number): Promise<{ port: number; close: () => void }> {
  const server = createServer({ noDelay: true }, (client: Socket) => {
    const up = connect({ host: '127.0.0.1', port, noDelay: true });
    client.on('data', (b: Buffer) => up.write(b));
    up.on('data', (b: Buffer) => client.write(b));
    const end = (): void => {
      client.destroy();
      up.destroy();
    };
    client.on('close', end);
    up.on('close', end);
    client.on('error', end);
    up.on('error', end);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as AddressInfo).port, close: () => server.close() }),
    ),
  );
}

// Both through the published port: the relay and the ingress reach the app the same way.
const rig = await startRig({ dialInNamespace: false });
try {
  const { url, spec } = await deployPythonApp(rig, 'floor');
  const host = new URL(url).host;
  const r = await relay(await rig.hostPort(spec.name));
  const targets = { relay: `http://127.0.0.1:${r.port}/`, ingress: `http://127.0.0.1:${rig.port}/` };
  for (const u of Object.values(targets)) await wrk(u, { host, seconds: 2, connections });
  for (let i = 0; i < rounds; i++) {
    for (const [name, u] of Object.entries(targets)) {
      const { result, cpu } = await withCpu(['python3', 'slirp4netns'], () =>
        wrk(u, { host, seconds, connections }),
      );
      console.log(`${name.padEnd(7)}: ${formatWrk(result)}  cpu/request: ${cpu}`);
    }
  }
  r.close();
} finally {
  await rig.dispose();
}
