import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerEngine } from '../src/runtime/index.ts';
import { tarDirectory } from '../src/runtime/index.ts';

/** The small test image many suites use: static busybox (sh, httpd, wget, nc, sleep...). */
export const BUSYBOX_IMAGE = 'localhost/bbtest:latest';

const BUSYBOX = '/bin/busybox';

/** Makes sure Debian's static busybox is on the host, installing busybox-static with apt when root. */
function ensureStaticBusybox(): void {
  const isStatic = (): boolean =>
    existsSync(BUSYBOX) && !execFileSync('file', ['-L', BUSYBOX]).toString().includes('dynamically');
  if (existsSync(BUSYBOX) && hasFile() && isStatic()) return;
  execFileSync('apt-get', ['install', '-y', '-qq', 'busybox-static', 'file'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function hasFile(): boolean {
  try {
    execFileSync('file', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds BUSYBOX_IMAGE on the engine from the host's static busybox when it is missing, so a fresh
 * machine has it: a rootfs with /bin/busybox and one link per applet, copied into `FROM scratch`.
 */
export async function ensureBusyboxImage(engine: ContainerEngine, tag = BUSYBOX_IMAGE): Promise<void> {
  if (await engine.imageExists(tag)) return;
  ensureStaticBusybox();
  const dir = mkdtempSync(join(tmpdir(), 'tarmac-bbtest-'));
  try {
    const root = join(dir, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'www']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    const applets = execFileSync(BUSYBOX, ['--list']).toString().split('\n').filter(Boolean);
    for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(root, 'bin', a));
    writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nCMD ["/bin/sh"]\n');
    await engine.build({ context: tarDirectory(dir), tag });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
