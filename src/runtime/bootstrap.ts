import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerEngine, RegistryAuth } from './engine.ts';
import { engineError } from './errors.ts';
import { which } from './host.ts';
import { deriveRootfs, mmdebstrapInScratch } from './derive.ts';
import { tarDirectory } from './tar.ts';
import {
  BASE_IMAGES,
  CLEAN_HOOK,
  SLIM_DPKG_OPTIONS,
  debianSources,
  recipeHash,
  selectRecipes,
  type BaseImageRecipe,
} from './base-images.ts';

export const LABEL_RECIPE = 'dev.tarmac.recipe';

export interface BootstrapOptions {
  /** Short names or references; all base images when empty. */
  names?: string[];
  /** Where root filesystem tarballs are cached (default ~/.cache/tarmac/images, or TARMAC_IMAGE_CACHE). */
  cacheDir?: string;
  /** Rebuild even when the engine already has the current image. */
  force?: boolean;
  onLog?: (line: string) => void;
}

export interface BootstrapResult {
  name: string;
  ref: string;
  hash: string;
  imageId: string;
  /** present: already in the engine; cached: built from the cached root fs; built: mmdebstrap ran. */
  outcome: 'present' | 'cached' | 'built';
  seconds: number;
}

export function defaultImageCache(): string {
  return process.env.TARMAC_IMAGE_CACHE ?? join(homedir(), '.cache', 'tarmac', 'images');
}

/** Whether each base image is in the engine, and whether it is from the current recipe. */
export async function baseImageStatus(
  engine: ContainerEngine,
): Promise<{ name: string; ref: string; present: boolean; current: boolean }[]> {
  const out = [];
  for (const r of selectRecipes([])) {
    const hash = recipeHash(r, debianSources(r.suite));
    const present = await engine.imageExists(r.ref);
    const current = present && (await engine.inspectImage(r.ref)).labels?.[LABEL_RECIPE] === hash;
    out.push({ name: r.name, ref: r.ref, present, current });
  }
  return out;
}

/**
 * The recipe whose root filesystem `r` is derived from: a plain minbase recipe of the same suite. Its
 * tarball plus `r`'s packages is what one mmdebstrap run with --include would make (TARMAC_BOOTSTRAP_DERIVE=0
 * makes that run instead).
 */
function baseOf(r: BaseImageRecipe): BaseImageRecipe | undefined {
  if (r.packages.length === 0 || process.env.TARMAC_BOOTSTRAP_DERIVE === '0') return undefined;
  return BASE_IMAGES.find(
    (b) =>
      b !== r && b.suite === r.suite && b.packages.length === 0 && b.customize.every((c) => c === CLEAN_HOOK),
  );
}

/** Root filesystems being made in this process, by cache path (a derived one waits for its base). */
const making = new Map<string, Promise<{ path: string; cached: boolean }>>();

/** Makes the root filesystem tarball of a recipe (cached by recipe hash), once per process. */
function rootfs(
  r: BaseImageRecipe,
  cacheDir: string,
  onLog?: (l: string) => void,
): Promise<{ path: string; cached: boolean }> {
  const hash = recipeHash(r, debianSources(r.suite));
  const path = join(cacheDir, `${r.name.replace(/[:/]/g, '_')}-${hash}.tar`);
  if (existsSync(path)) return Promise.resolve({ path, cached: true });
  let p = making.get(path);
  if (!p) {
    p = makeRootfs(r, path, cacheDir, onLog).finally(() => making.delete(path));
    making.set(path, p);
  }
  return p;
}

async function makeRootfs(
  r: BaseImageRecipe,
  path: string,
  cacheDir: string,
  onLog?: (l: string) => void,
): Promise<{ path: string; cached: boolean }> {
  if (!which('mmdebstrap')) {
    throw engineError(
      'BUILD_FAILED',
      'mmdebstrap is not installed. Fix: apt-get install -y mmdebstrap (as root)',
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  const base = baseOf(r);
  try {
    if (base) {
      const from = await rootfs(base, cacheDir, onLog);
      onLog?.(`derive ${r.name} from ${base.name}: ${r.packages.join(' ')}`);
      await deriveRootfs({
        baseTar: from.path,
        listsTar: existsSync(listsPath(from.path)) ? listsPath(from.path) : undefined,
        packages: r.packages,
        customize: r.customize,
        out: partial,
        onLog,
      });
    } else {
      onLog?.(`mmdebstrap ${r.name}: ${r.packages.join(' ') || '(minbase)'}`);
      await mmdebstrapInScratch(mmdebstrapArgs(r, partial, `${partial}.lists`), onLog);
      renameSync(`${partial}.lists`, listsPath(path));
    }
  } catch (e) {
    rmSync(partial, { force: true });
    rmSync(`${partial}.lists`, { force: true });
    throw e;
  }
  renameSync(partial, path);
  return { path, cached: false };
}

/** Where the apt lists of a root filesystem's mmdebstrap run are kept (derived images reuse them). */
const listsPath = (rootfsTar: string): string => rootfsTar.replace(/\.tar$/, '.apt-lists.tar');

function mmdebstrapArgs(r: BaseImageRecipe, out: string, listsOut: string): string[] {
  return [
    '--variant=minbase',
    '--mode=root',
    '--format=tar',
    ...(r.packages.length > 0 ? [`--include=${r.packages.join(',')}`] : []),
    // unsafe-io: no fsync per file (the tarball is written once at the end); not part of the recipe.
    '--dpkgopt=force-unsafe-io',
    ...SLIM_DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`),
    // Before the recipe's own hooks (which drop the lists): keep them for derived images.
    `--customize-hook=tar-out /var/lib/apt/lists ${listsOut}`,
    ...r.customize.map((c) => `--customize-hook=${c}`),
    r.suite,
    out,
    ...debianSources(r.suite),
  ];
}

function dockerfile(r: BaseImageRecipe, hash: string): string {
  const env = Object.entries(r.env).map(([k, v]) => `ENV ${k}=${JSON.stringify(v)}`);
  return [
    'FROM scratch',
    'ADD rootfs.tar /',
    ...env,
    `LABEL ${LABEL_RECIPE}="${hash}"`,
    `CMD ${JSON.stringify(r.cmd)}`,
    '',
  ].join('\n');
}

/** Builds one base image into the engine store under its docker.io/library reference. */
async function bootstrapOne(
  engine: ContainerEngine,
  r: BaseImageRecipe,
  opts: BootstrapOptions,
): Promise<BootstrapResult> {
  const started = Date.now();
  const hash = recipeHash(r, debianSources(r.suite));
  const done = (imageId: string, outcome: BootstrapResult['outcome']): BootstrapResult => ({
    name: r.name,
    ref: r.ref,
    hash,
    imageId,
    outcome,
    seconds: (Date.now() - started) / 1000,
  });
  if (!opts.force && (await engine.imageExists(r.ref))) {
    const img = await engine.inspectImage(r.ref);
    if (img.labels?.[LABEL_RECIPE] === hash) return done(img.id, 'present');
  }
  const fs = await rootfs(r, opts.cacheDir ?? defaultImageCache(), opts.onLog);
  const ctx = mkdtempSync(join(tmpdir(), 'tarmac-bootstrap-'));
  try {
    try {
      linkSync(fs.path, join(ctx, 'rootfs.tar'));
    } catch {
      copyFileSync(fs.path, join(ctx, 'rootfs.tar'));
    }
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile(r, hash));
    const { imageId } = await engine.build({ context: tarDirectory(ctx), tag: r.ref, onLog: opts.onLog });
    return done(imageId, fs.cached ? 'cached' : 'built');
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** `tarmac images bootstrap`: base images from Debian packages, so `FROM python:3.11-slim` builds offline. */
export async function bootstrapImages(
  engine: ContainerEngine,
  opts: BootstrapOptions = {},
): Promise<BootstrapResult[]> {
  // Concurrently: a derived root filesystem waits for its base's, and the engine imports overlap.
  return Promise.all(selectRecipes(opts.names ?? []).map((r) => bootstrapOne(engine, r, opts)));
}

/** An image in the engine store and the repository it is published as (e.g. library/python:3.11-slim). */
export interface PublishedImage {
  source: string;
  repository: string;
}

/**
 * Copies images from the engine store into a registry: by default the base images, under
 * library/NAME:TAG (for the built-in registry, which then serves as docker.io's mirror: see
 * mirror.ts). Images the engine does not hold are skipped. Returns the pushed references.
 */
export async function publishBaseImages(
  engine: ContainerEngine,
  registryHost: string,
  auth?: RegistryAuth,
  images: PublishedImage[] = BASE_IMAGES.map((r) => ({ source: r.ref, repository: `library/${r.name}` })),
): Promise<{ ref: string; digest: string }[]> {
  const out = [];
  for (const img of images) {
    if (!(await engine.imageExists(img.source))) continue;
    const target = `${registryHost}/${img.repository}`;
    await engine.tag(img.source, target);
    try {
      out.push({ ref: target, ...(await engine.push(target, auth)) });
    } finally {
      // Only the name goes: the image stays under its own name.
      await engine.removeImage(target).catch(() => undefined);
    }
  }
  return out;
}
