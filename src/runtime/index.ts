export * from './engine.ts';
export { DockerEngine, PODMAN_NETWORK_MODE, dockerOptions } from './docker-engine.ts';
export { FakeEngine } from './fake-engine.ts';
export { FAKE_PROGRAMS, type FakeProcess, type FakeProgram } from './fake-programs.ts';
export { normalizeRef } from './fake-images.ts';
export { splitRef, isPlainHttpRegistry } from './docker-images.ts';
export { connectEngine, engineCandidates, ownSocketPath, type EngineConnection } from './detect.ts';
export { engineError, type EngineReason } from './errors.ts';
export { tarDirectory } from './tar.ts';
export { managedLabels, removeOrphans } from './orphans.ts';
export { BASE_IMAGES, selectRecipes, type BaseImageRecipe } from './base-images.ts';
export { MIRROR_CONF_FILE, dockerHubMirrorConf, registriesConfDir, writeDockerHubMirror } from './mirror.ts';
export {
  LABEL_RECIPE,
  baseImageStatus,
  bootstrapImages,
  defaultImageCache,
  publishBaseImages,
  type PublishedImage,
  type BootstrapOptions,
  type BootstrapResult,
} from './bootstrap.ts';
export { missingPodmanPackages, provisionBlocker } from './provision.ts';
export { probeHost } from './host.ts';
