import type { AddressInfo, Server } from 'node:net';

/** Listens on host:port; rejects with the listen error (EADDRINUSE, EACCES) instead of emitting it. */
export function listenTcp(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting; open connections are left to their owner. */
export function closeTcp(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}
