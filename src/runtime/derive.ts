import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engineError } from './errors.ts';
import { which } from './host.ts';
import { runLogged } from './logged.ts';

/**
 * Runs `script` (sh, "$0" = an empty tmpfs mounted for it, then `args`) in a private mount namespace:
 * the root filesystem is put together in memory rather than on disk (dpkg's many small writes and
 * the final removal are what a loaded disk is slowest at), and every mount, the tmpfs included,
 * goes away with the namespace, whatever happens.
 */
export async function inScratch(script: string, args: string[], onLog?: (l: string) => void): Promise<void> {
  for (const tool of ['unshare', 'chroot', 'tar']) {
    if (!which(tool))
      throw engineError('BUILD_FAILED', `${tool} is not installed (util-linux, coreutils, tar)`);
  }
  const work = mkdtempSync(join(tmpdir(), 'tarmac-rootfs-'));
  try {
    const body = `set -e; mount -t tmpfs -o mode=755 tarmac-rootfs "$0"; ${script}`;
    await runLogged(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', body, work, ...args],
      onLog,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** mmdebstrap with its temporary root filesystem in a tmpfs (see inScratch). */
export function mmdebstrapInScratch(args: string[], onLog?: (l: string) => void): Promise<void> {
  return inScratch('TMPDIR="$0" exec mmdebstrap "$@"', args, onLog);
}

/** What dpkg/apt leave behind that mmdebstrap's own cleanup removes too (logs, caches). */
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

// $0 = root (tmpfs); $1 base tar; $2 lists tar or ''; $3 out; $4 packages; then the customize hooks.
const DERIVE = `
R="$0"; BASE="$1"; LISTS="$2"; OUT="$3"; PKGS="$4"; shift 4
tar -xpf "$BASE" -C "$R" --numeric-owner
if [ -e "$R/etc/resolv.conf" ]; then mv "$R/etc/resolv.conf" "$R/etc/resolv.conf.tarmac"; fi
cp /etc/resolv.conf "$R/etc/resolv.conf"
printf '#!/bin/sh\\nexit 101\\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
INSTALL="apt-get install -y -q --no-install-recommends -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 $PKGS"
if [ -n "$LISTS" ]; then
  tar -xf "$LISTS" -C "$R/var/lib/apt/lists" --strip-components=1
  STEPS="($INSTALL || (apt-get update -q && $INSTALL))"
else
  STEPS="apt-get update -q && $INSTALL"
fi
mount -t proc proc "$R/proc"
chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 \\
  sh -c "$STEPS && apt-get clean"
umount "$R/proc"
for hook in "$@"; do sh -c "$hook" sh "$R"; done
for f in ${CLEANUP.join(' ')}; do rm -rf "$R/$f"; done
rm -rf "$R"/tmp/* "$R"/var/lib/apt/lists/*
mkdir -p "$R/var/lib/apt/lists/partial"; : > "$R/var/lib/apt/lists/lock"
rm -f "$R/etc/resolv.conf"
if [ -e "$R/etc/resolv.conf.tarmac" ]; then mv "$R/etc/resolv.conf.tarmac" "$R/etc/resolv.conf"; fi
tar --numeric-owner --xattrs --xattrs-include='*' --sort=name -C "$R" -cf "$OUT" .
`;

/**
 * Makes a root filesystem tarball by installing `packages` into an unpacked copy of `baseTar` (a
 * minbase root filesystem mmdebstrap made): apt-get in a chroot (with the base's dpkg settings, its
 * path excludes, still in force), then the recipe's customize hooks, then mmdebstrap's cleanup.
 * The same result as one mmdebstrap run with --include=packages (same packages, same files),
 * without bootstrapping the essential packages a second time, which is most of mmdebstrap's time.
 */
export function deriveRootfs(opts: {
  baseTar: string;
  /** The base's apt lists (kept from its mmdebstrap run), so `apt-get update` is skipped; optional. */
  listsTar?: string;
  packages: string[];
  /** Shell run with "$1" = the root filesystem after the install (as mmdebstrap's customize hooks). */
  customize: string[];
  out: string;
  onLog?: (line: string) => void;
}): Promise<void> {
  opts.onLog?.(`apt-get install ${opts.packages.join(' ')} (on the base root filesystem)`);
  return inScratch(
    DERIVE,
    [opts.baseTar, opts.listsTar ?? '', opts.out, opts.packages.join(' '), ...opts.customize],
    opts.onLog,
  );
}
