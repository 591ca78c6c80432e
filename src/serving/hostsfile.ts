import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The /etc/hosts every instance gets, bind-mounted read-only: localhost, the metadata server and every
 * service and tag host pointing at the host loopback as seen from a container, where the ingress
 * listens. Rewritten in place (same inode), so running instances see services created after they started.
 */
export class HostsFile {
  private last = '';

  constructor(
    readonly path: string,
    private readonly hostLoopback: string,
  ) {}

  /** Writes the file when its content changes. */
  update(serviceHosts: Iterable<string>): void {
    const lines = [
      '# managed by tarmac serving: service URLs resolve to the ingress',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      `${this.hostLoopback}\tmetadata.google.internal metadata`,
    ];
    for (const h of [...serviceHosts].sort()) lines.push(`${this.hostLoopback}\t${h}`);
    const text = `${lines.join('\n')}\n`;
    if (text === this.last) return;
    mkdirSync(dirname(this.path), { recursive: true });
    // writeFileSync truncates and writes the same inode, which the bind mounts keep pointing at.
    writeFileSync(this.path, text, { mode: 0o644 });
    this.last = text;
  }
}
