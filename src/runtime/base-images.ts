import { sha256Hex } from '../shared/index.ts';

/** How one base image is made from Debian packages (see bootstrap.ts). */
export interface BaseImageRecipe {
  /** Short name users write in FROM lines. */
  name: string;
  /** Fully qualified reference it is stored under (engine store now, the registry's library/ later). */
  ref: string;
  suite: string;
  packages: string[];
  /** Shell run on the host with "$1" = the new root filesystem (mmdebstrap --customize-hook). */
  customize: string[];
  env: Record<string, string>;
  cmd: string[];
}

const SLIM_DPKG = [
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/info/*',
];
export const SLIM_DPKG_OPTIONS = SLIM_DPKG;

/** The customize hook every recipe ends with: no apt lists, caches or logs in the image. */
export const CLEAN_HOOK =
  'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/log/apt/* "$1"/var/log/dpkg.log';

/** The base images `tarmac images bootstrap` builds. */
export const BASE_IMAGES: BaseImageRecipe[] = [
  {
    name: 'debian:bookworm-slim',
    ref: 'docker.io/library/debian:bookworm-slim',
    suite: 'bookworm',
    packages: [],
    customize: [CLEAN_HOOK],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    cmd: ['bash'],
  },
  {
    // Debian's python3 with pip, Flask and gunicorn preinstalled; without EXTERNALLY-MANAGED, so
    // `pip install -r requirements.txt` naming those is satisfied offline.
    name: 'python:3.11-slim',
    ref: 'docker.io/library/python:3.11-slim',
    suite: 'bookworm',
    packages: ['ca-certificates', 'python3', 'python3-pip', 'python3-venv', 'python3-flask', 'gunicorn'],
    customize: [
      'rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED',
      'mkdir -p "$1"/usr/local/bin',
      'ln -sf /usr/bin/python3 "$1"/usr/local/bin/python',
      'ln -sf /usr/bin/pip3 "$1"/usr/local/bin/pip',
      'ln -sf /usr/bin/pip3 "$1"/usr/local/bin/pip3.11',
      CLEAN_HOOK,
    ],
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      LANG: 'C.UTF-8',
      PYTHON_VERSION: '3.11',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
    },
    cmd: ['python3'],
  },
];

/** Debian sources the root filesystems come from (TARMAC_DEBIAN_MIRROR replaces deb.debian.org). */
export function debianSources(suite: string, mirror = process.env.TARMAC_DEBIAN_MIRROR): string[] {
  const base = (mirror ?? 'http://deb.debian.org').replace(/\/+$/, '');
  return [
    `deb ${base}/debian ${suite} main`,
    `deb ${base}/debian ${suite}-updates main`,
    `deb ${base}/debian-security ${suite}-security main`,
  ];
}

/** Changes whenever what goes into the image changes; cache keys and the image label use it. */
export function recipeHash(r: BaseImageRecipe, sources: string[]): string {
  return sha256Hex(JSON.stringify({ v: 1, r, sources, dpkg: SLIM_DPKG })).slice(0, 16);
}

/** Finds recipes by short name or full reference; all of them when none is named. */
export function selectRecipes(names: string[]): BaseImageRecipe[] {
  if (names.length === 0) return BASE_IMAGES;
  return names.map((n) => {
    const r = BASE_IMAGES.find((b) => b.name === n || b.ref === n || `library/${b.name}` === n);
    if (!r) throw new Error(`unknown base image ${n} (known: ${BASE_IMAGES.map((b) => b.name).join(', ')})`);
    return r;
  });
}
