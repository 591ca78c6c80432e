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
