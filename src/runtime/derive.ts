import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { engineError } from './errors.ts';
import { which } from './host.ts';
import { runLogged } from './logged.ts';

/** What dpkg/apt leave behind that mmdebstrap's own cleanup removes too (logs, caches, lists). */
const CLEANUP = [
  'var/cache/apt/pkgcache.bin',
  'var/cache/apt/srcpkgcache.bin',
  'var/log/apt/history.log',
  'var/log/apt/term.log',
  'var/log/apt/eipp.log.xz',
  'var/log/dpkg.log',
  'var/log/alternatives.log',
  'var/cache/ldconfig/aux-cache',
  'usr/sbin/policy-rc.d',
];

/**
 * Makes a root filesystem tarball by installing `packages` into an unpacked copy of `baseTar` (a
 * minbase root filesystem mmdebstrap made): apt-get in a chroot, in a private mount namespace (only
 * /proc is mounted, and it goes away with the namespace), with the base's dpkg settings (path
 * excludes) still in force. The same result as one mmdebstrap run with --include=packages, without
 * bootstrapping the essential packages a second time, which is most of mmdebstrap's time.
 */
export async function deriveRootfs(opts: {
  baseTar: string;
  packages: string[];
  /** Shell run on the host with "$1" = the root filesystem, after the install (as mmdebstrap's hooks). */
  customize: string[];
  out: string;
  /** The base's apt lists (from its mmdebstrap run), so no `apt-get update` is needed; optional. */
  listsTar?: string;
  onLog?: (line: string) => void;
}): Promise<void> {
  for (const tool of ['unshare', 'chroot', 'tar']) {
    if (!which(tool))
      throw engineError('BUILD_FAILED', `${tool} is not installed (util-linux, coreutils, tar)`);
  }
  const root = mkdtempSync(join(dirname(opts.out), '.derive-'));
  const log = opts.onLog;
  try {
    await runLogged('tar', ['-xpf', opts.baseTar, '-C', root, '--numeric-owner'], log);
    const resolv = join(root, 'etc', 'resolv.conf');
    const hadResolv = existsSync(resolv);
    if (hadResolv) copyFileSync(resolv, `${resolv}.tarmac`);
    copyFileSync('/etc/resolv.conf', resolv);
    // Like mmdebstrap: no service starts from maintainer scripts.
    writeFileSync(join(root, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const lists = opts.listsTar && existsSync(opts.listsTar) ? opts.listsTar : undefined;
    if (lists) await runLogged('tar', ['-xf', lists, '-C', join(root, 'var/lib/apt/lists')], log);
    // With the base's lists, install straight away; if the mirror moved on since, update and retry.
    const install = `apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 ${opts.packages.join(' ')}`;
    const steps = lists
      ? `(${install} || (apt-get update -q && ${install}))`
      : `apt-get update -q && ${install}`;
    const apt = [
      'env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8',
      `sh -c '${steps} && apt-get clean'`,
    ].join(' ');
    const script = `set -e; mount -t proc proc "$1/proc"; chroot "$1" ${apt}; umount "$1/proc"`;
    log?.(`apt-get install ${opts.packages.join(' ')} (on the base root filesystem)`);
    await runLogged('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root], log);
    for (const c of opts.customize) await runLogged('sh', ['-c', c, 'sh', root], log);
    for (const p of CLEANUP) rmSync(join(root, p), { recursive: true, force: true });
    const tidy =
      'rm -rf "$1"/tmp/* "$1"/var/lib/apt/lists/*; mkdir -p "$1"/var/lib/apt/lists/partial; : > "$1"/var/lib/apt/lists/lock';
    await runLogged('sh', ['-c', tidy, 'sh', root], log);
    rmSync(resolv, { force: true });
    if (hadResolv) copyFileSync(`${resolv}.tarmac`, resolv);
    rmSync(`${resolv}.tarmac`, { force: true });
    await runLogged(
      'tar',
      ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--sort=name', '-C', root, '-cf', opts.out, '.'],
      log,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
