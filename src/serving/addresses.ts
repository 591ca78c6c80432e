import { randomInt } from 'node:crypto';

/**
 * Loopback source addresses for instances (127.1.0.1 - 127.1.255.254). slirp4netns binds each
 * instance's outbound connections to its own address, so host listeners (metadata server, internal
 * ingress) know the calling instance from the source address alone. Starts at a random offset so
 * several installations on one machine rarely hand out the same address.
 */
export class AddressPool {
  private readonly used = new Set<number>();
  private cursor = randomInt(0, 0xfffe);

  allocate(): string {
    for (let i = 0; i < 0xfffe; i++) {
      const n = (this.cursor + i) % 0xfffe;
      const lo = n & 0xff;
      if (lo === 0 || lo === 0xff || this.used.has(n)) continue;
      this.used.add(n);
      this.cursor = n + 1;
      return `127.1.${n >> 8}.${lo}`;
    }
    throw new Error('no free instance address in 127.1.0.0/16');
  }

  release(address: string): void {
    const parts = address.split('.');
    this.used.delete(Number(parts[2]) * 256 + Number(parts[3]));
  }

  has(address: string): boolean {
    if (!address.startsWith('127.1.')) return false;
    const parts = address.split('.');
    return this.used.has(Number(parts[2]) * 256 + Number(parts[3]));
  }
}
