export {
  parseImageReference,
  toLocalReference,
  formatReference,
  isBuiltinReference,
  projectOfRepository,
  type ImageReference,
  type LocalReference,
  type RegistryKind,
} from './reference.ts';
export {
  isValidRepositoryName,
  isValidTag,
  parseDigest,
  tryParseDigest,
  type ParsedDigest,
  type DigestAlgorithm,
} from './names.ts';
export { Registry, parseManifestRef, type RegistryOptions, type ManifestRef } from './service.ts';
export { RegistryAuth, PERMISSION, PUBLIC_PREFIX, type Action, type RegistryAuthOptions } from './auth.ts';
export { createRegistryHandler, type RegistryHandlerOptions } from './http.ts';
export { FsBlobStore } from './storage/fs.ts';
export { MemoryBlobStore } from './storage/memory.ts';
export type { BlobStore, BlobRead, ByteRange } from './storage/types.ts';
export { MEDIA, MAX_MANIFEST_BYTES } from './manifest.ts';
export { RegistryError, toOciError, type OciCode } from './errors.ts';
export { collectGarbage, type GcOptions, type GcResult } from './gc.ts';
