import { spawn } from 'node:child_process';
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
import { LineSplitter } from './streams.ts';
import { tarDirectory } from './tar.ts';
import {
  BASE_IMAGES,
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

function runLogged(cmd: string, args: string[], onLog?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const split = new LineSplitter();
    const take = (d: Buffer): void => {
      for (const l of split.push(d.toString())) {
        tail.push(l);
        if (tail.length > 20) tail.shift();
        onLog?.(l);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          engineError(
            'BUILD_FAILED',
            `${cmd} exited with ${code ?? 'a signal'}: ${tail.slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}

/** Makes the root filesystem tarball of a recipe with mmdebstrap (cached by recipe hash). */
async function rootfs(
  r: BaseImageRecipe,
  hash: string,
  cacheDir: string,
  onLog?: (l: string) => void,
): Promise<{ path: string; cached: boolean }> {
  const path = join(cacheDir, `${r.name.replace(/[:/]/g, '_')}-${hash}.tar`);
  if (existsSync(path)) return { path, cached: true };
  if (!which('mmdebstrap')) {
    throw engineError(
      'BUILD_FAILED',
      'mmdebstrap is not installed. Fix: apt-get install -y mmdebstrap (as root)',
    );
  }
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${path}.partial`;
  const args = [
    '--variant=minbase',
    '--mode=root',
    '--format=tar',
    ...(r.packages.length > 0 ? [`--include=${r.packages.join(',')}`] : []),
    // unsafe-io: no fsync per file (the tarball is written once at the end); not part of the recipe.
    '--dpkgopt=force-unsafe-io',
    ...SLIM_DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`),
    ...r.customize.map((c) => `--customize-hook=${c}`),
    r.suite,
    partial,
    ...debianSources(r.suite),
  ];
  onLog?.(`mmdebstrap ${r.name}: ${r.packages.join(' ') || '(minbase)'}`);
  try {
    await runLogged('mmdebstrap', args, onLog);
  } catch (e) {
    rmSync(partial, { force: true });
    throw e;
  }
  renameSync(partial, path);
  return { path, cached: false };
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
  const fs = await rootfs(r, hash, opts.cacheDir ?? defaultImageCache(), opts.onLog);
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
  const out: BootstrapResult[] = [];
  for (const r of selectRecipes(opts.names ?? [])) out.push(await bootstrapOne(engine, r, opts));
  return out;
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
