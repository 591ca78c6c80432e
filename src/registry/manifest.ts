import { regError } from './errors.ts';
import { tryParseDigest } from './names.ts';
import type { ManifestRefs } from './meta.ts';

/** Manifest media types the registry accepts on PUT. */
export const MEDIA = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

const IMAGE_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest]);
const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);

/** The largest manifest accepted (the spec asks for at least 4 MB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** What the registry needs to know about a manifest it is about to store. */
export interface ParsedManifest {
  mediaType: string;
  refs: ManifestRefs;
  subject: string | undefined;
  /** artifactType, else (image manifests) the config media type, as the referrers API reports it. */
  artifactType: string | undefined;
  annotations: Record<string, string> | undefined;
}

const invalid = (message: string, detail?: unknown): Error => regError('MANIFEST_INVALID', message, detail);

/** The media type of a Content-Type header, without parameters, lowercased. */
export function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Parses and validates a manifest body against its Content-Type: well-formed JSON of a known manifest
 * type, schemaVersion 2, mediaType field (if any) equal to the Content-Type, valid descriptors.
 */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalid('manifest is not valid JSON');
  }
  if (!isObject(doc)) throw invalid('manifest is not a JSON object');
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const header = baseMediaType(contentType);
  // Generic types say nothing about the manifest; the document's own mediaType decides then.
  const generic = header === '' || header === 'application/json' || header === 'application/octet-stream';
  const mediaType = (generic ? declared : header) ?? '';
  if (!IMAGE_TYPES.has(mediaType) && !INDEX_TYPES.has(mediaType)) {
    throw regError(
      'MEDIA_TYPE_UNSUPPORTED',
      `unsupported manifest media type: ${mediaType.slice(0, 200) || '(none)'}`,
    );
  }
  if (declared !== undefined && declared !== mediaType) {
    throw invalid(`mediaType field ${declared} does not match Content-Type ${mediaType}`);
  }
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const annotations = stringMap(doc.annotations, 'annotations');
  const artifactType = doc.artifactType === undefined ? undefined : str(doc.artifactType, 'artifactType');
  if (IMAGE_TYPES.has(mediaType)) {
    const config = descriptor(doc.config, 'config');
    if (!Array.isArray(doc.layers)) throw invalid('layers must be an array');
    const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    return {
      mediaType,
      refs: { blobs: unique([config.digest, ...layers.map((l) => l.digest)]), manifests: [] },
      subject: subject?.digest,
      artifactType: artifactType ?? config.mediaType,
      annotations,
    };
  }
  if (!Array.isArray(doc.manifests)) throw invalid('manifests must be an array');
  const children = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`));
  return {
    mediaType,
    refs: { blobs: [], manifests: unique(children.map((c) => c.digest)) },
    subject: subject?.digest,
    artifactType,
    annotations,
  };
}

function descriptor(v: unknown, field: string): Descriptor {
  if (!isObject(v)) throw invalid(`${field} must be a descriptor object`);
  const mediaType = str(v.mediaType, `${field}.mediaType`);
  const digest = str(v.digest, `${field}.digest`);
  if (!tryParseDigest(digest)) throw invalid(`${field}.digest is not a valid digest`, { field });
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) {
    throw invalid(`${field}.size must be a non-negative integer`, { field });
  }
  return { mediaType, digest, size: v.size };
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw invalid(`${field} must be a non-empty string`, { field });
  return v;
}

function stringMap(v: unknown, field: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw invalid(`${field} must map strings to strings`, { field });
  }
  return v as Record<string, string>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
