/**
 * Cloud Build v1 resource shapes shared by the builder, the REST API, the typed client and the CLI,
 * plus the pure formatting gcloud applies to them (durations, the summary table).
 */
export const BUILD_STATUSES = [
  'STATUS_UNKNOWN',
  'PENDING',
  'QUEUED',
  'WORKING',
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  'EXPIRED',
] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];

const TERMINAL: ReadonlySet<BuildStatus> = new Set([
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  'EXPIRED',
]);

/** Whether a build in this status will never change again. */
export function isTerminalStatus(s: BuildStatus): boolean {
  return TERMINAL.has(s);
}

export interface TimeSpan {
  startTime: string;
  endTime?: string;
}

export interface StorageSource {
  bucket: string;
  object: string;
  generation?: string;
}

export interface BuildStep {
  name: string;
  args: string[];
  id?: string;
  env?: string[];
  dir?: string;
  status?: BuildStatus;
  timing?: TimeSpan;
}

export interface BuiltImage {
  name: string;
  digest: string;
  pushTiming?: TimeSpan;
}

/** The Build resource as Cloud Build v1 returns it. */
export interface Build {
  name: string;
  id: string;
  projectId: string;
  status: BuildStatus;
  statusDetail?: string;
  source: { storageSource: StorageSource };
  steps: BuildStep[];
  images: string[];
  results?: { images: BuiltImage[]; buildStepImages: string[] };
  createTime: string;
  startTime?: string;
  finishTime?: string;
  /** Protobuf Duration JSON, e.g. "600s". */
  timeout: string;
  logsBucket: string;
  logUrl: string;
  timing?: Record<string, TimeSpan>;
  tags?: string[];
  options?: Record<string, unknown>;
}

/** google.longrunning.Operation returned by CreateBuild. */
export interface BuildOperation {
  name: string;
  metadata: { '@type': string; build: Build };
  done: boolean;
}

export const BUILD_OPERATION_METADATA_TYPE =
  'type.googleapis.com/google.devtools.cloudbuild.v1.BuildOperationMetadata';

/** Cloud Build's default build timeout. */
export const DEFAULT_BUILD_TIMEOUT_SECONDS = 600;

/** The builder image gcloud names in the one step of a `--tag` build. */
export const DOCKER_BUILDER = 'gcr.io/cloud-builders/docker';

/** The project's staging bucket for sources, as gcloud names it. */
export function buildBucket(projectId: string): string {
  return `${projectId}_cloudbuild`;
}

/**
 * Parses a duration as gcloud and protobuf JSON accept it: "600s", "1.5s", "10m", "1h2m3s" or bare
 * seconds ("90"). Returns seconds, or undefined when the text is not a duration.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(t);
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/** gcloud's DURATION column: ISO 8601 duration without "PT", whole seconds ("41S", "1M30S", "1H2M"). */
export function formatDurationColumn(startTime?: string, finishTime?: string): string {
  if (!startTime || !finishTime) return '-';
  let s = Math.max(0, Math.round((Date.parse(finishTime) - Date.parse(startTime)) / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const out = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s || (!h && !m) ? `${s}S` : ''}`;
  return out;
}

/** gcloud's CREATE_TIME column: second precision with a +00:00 offset. */
export function formatCreateTimeColumn(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '-';
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

/** The fields the summary table reads; client-side Build shapes satisfy it as well. */
export interface BuildTableRow {
  id?: string;
  status?: string;
  createTime?: string;
  startTime?: string;
  finishTime?: string;
  images?: string[];
  source?: unknown;
}

function sourceColumn(b: BuildTableRow): string {
  const s = (b.source as { storageSource?: { bucket?: string; object?: string } } | undefined)?.storageSource;
  return s?.bucket ? `gs://${s.bucket}/${s.object ?? ''}` : '-';
}

function imagesColumn(b: BuildTableRow): string {
  const imgs = b.images ?? [];
  if (imgs.length === 0) return '-';
  return imgs.length === 1 ? imgs[0]! : `${imgs[0]!} (+${imgs.length - 1} more)`;
}

/** Lays rows out as gcloud's table format does: columns left-aligned, two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The table gcloud prints after a build (and for `builds list`). */
export function formatBuildTable(builds: readonly BuildTableRow[]): string {
  return formatTable(
    ['ID', 'CREATE_TIME', 'DURATION', 'SOURCE', 'IMAGES', 'STATUS'],
    builds.map((b) => [
      b.id ?? '-',
      b.createTime ? formatCreateTimeColumn(b.createTime) : '-',
      formatDurationColumn(b.startTime, b.finishTime),
      sourceColumn(b),
      imagesColumn(b),
      b.status ?? '-',
    ]),
  );
}

/** The dashed rule gcloud prints between the streamed log and the summary table. */
export const LOG_RULE = '-'.repeat(80);
