import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { get } from './client.ts';
import { useServing } from './harness.ts';

// An upgrade server in busybox: answers 101, then echoes every byte back.
const WS_APP = [
  `printf '%s\\n' '#!/bin/sh' 'while read -r l; do [ "$l" = "$(printf "\\r")" ] && break; done' 'printf "HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\\r\\n"' 'exec cat' > /ws.sh`,
  'chmod +x /ws.sh',
  'exec nc -ll -p "$PORT" -e /ws.sh',
].join('; ');

function openUpgrade(port: number, host: string): Promise<{ sock: Socket; head: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () =>
      sock.write(
        `GET /chat HTTP/1.1\r\nhost: ${host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n` +
          `sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ),
    );
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (buf.includes('\r\n\r\n')) {
        sock.off('data', onData);
        resolve({ sock, head: buf });
      }
    };
    sock.on('data', onData);
    sock.on('error', reject);
  });
}

describe('serving: WebSocket upgrades (real engine)', () => {
  it('relays an upgraded connection both ways and counts it toward concurrency', async () => {
    const rig = await useServing({ queueWaitSeconds: 2 });
    const { url } = await rig.deploy('ws', {
      command: ['sh', '-c', WS_APP],
      concurrency: 1,
      maxInstances: 1,
    });
    const host = new URL(url).host;
    const { sock, head } = await openUpgrade(rig.port, host);
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    const echoed = new Promise<string>((resolve) => sock.once('data', (d: Buffer) => resolve(d.toString())));
    sock.write('ping');
    expect(await echoed).toBe('ping');
    // The open WebSocket holds the only slot: a request waits, then gets 429 at max instances.
    const blocked = await get(url, rig.port, '/');
    expect(blocked.status).toBe(429);
    sock.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const again = await openUpgrade(rig.port, host);
    expect(again.head).toMatch(/^HTTP\/1\.1 101/);
    again.sock.destroy();
  });
});
