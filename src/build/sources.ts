import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, type ReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../store/index.ts';
import { TarmacError, uuid, type Clock } from '../shared/index.ts';

/** An object in the build bucket, in the fields the GCS JSON API reports. */
export interface SourceObject {
  bucket: string;
  name: string;
  generation: string;
  size: number;
  md5: string;
  contentType: string;
  createTime: string;
}

const NAME_RE = /^(?!\/)(?!.*(?:^|\/)\.\.?(?:\/|$))[\x20-\x7e]{1,1024}$/;

/**
 * The build bucket under TARMAC_HOME/builds/buckets: uploads stream to a temporary file, are cut off
 * at the size limit, and replace the object atomically with a new generation.
 */
export class SourceStore {
  private lastGeneration = 0;

  constructor(
    private readonly db: Db,
    private readonly root: string,
    private readonly clock: Clock,
    readonly maxBytes: number,
  ) {}

  /** Streams `body` into bucket/name; fails with RESOURCE_EXHAUSTED past the size limit. */
  async put(bucket: string, name: string, body: Readable, contentType: string): Promise<SourceObject> {
    this.check(bucket, name);
    const final = this.path(bucket, name);
    const tmp = join(this.root, 'tmp', `${uuid()}.part`);
    mkdirSync(dirname(tmp), { recursive: true });
    mkdirSync(dirname(final), { recursive: true });
    const md5 = createHash('md5');
    let size = 0;
    const limit = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) {
          done(
            new TarmacError('RESOURCE_EXHAUSTED', `upload larger than the limit of ${limit} bytes`, {
              reason: 'SOURCE_TOO_LARGE',
            }),
          );
          return;
        }
        md5.update(chunk);
        done(null, chunk);
      },
    });
    try {
      // The body is piped, not handed to pipeline(), so a rejected upload leaves the request intact
      // for the API to answer on.
      const done = pipeline(meter, createWriteStream(tmp, { mode: 0o600 }));
      const onBodyError = (e: Error): void => {
        meter.destroy(e);
      };
      const onBodyClose = (): void => {
        if (!body.readableEnded)
          meter.destroy(new TarmacError('ABORTED', 'upload interrupted', { reason: 'UPLOAD_INTERRUPTED' }));
      };
      body.once('error', onBodyError);
      body.once('close', onBodyClose);
      body.pipe(meter);
      try {
        await done;
      } finally {
        body.unpipe(meter);
        body.off('error', onBodyError);
        body.off('close', onBodyClose);
      }
      renameSync(tmp, final);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    const obj: SourceObject = {
      bucket,
      name,
      generation: this.nextGeneration(),
      size,
      md5: md5.digest('base64'),
      contentType,
      createTime: new Date(this.clock.now()).toISOString(),
    };
    this.db
      .prepare(
        `INSERT INTO build_objects (bucket, name, generation, size, md5, content_type, create_time)
         VALUES (@bucket, @name, @generation, @size, @md5, @contentType, @createTime)
         ON CONFLICT (bucket, name) DO UPDATE SET generation = excluded.generation, size = excluded.size,
           md5 = excluded.md5, content_type = excluded.content_type, create_time = excluded.create_time`,
      )
      .run(obj);
    return obj;
  }

  stat(bucket: string, name: string): SourceObject | undefined {
    return this.db
      .prepare(
        `SELECT bucket, name, generation, size, md5, content_type AS contentType, create_time AS createTime
         FROM build_objects WHERE bucket = ? AND name = ?`,
      )
      .get(bucket, name) as SourceObject | undefined;
  }

  /** Opens an object for reading; NOT_FOUND when it (or that generation) does not exist. */
  open(bucket: string, name: string, generation?: string): ReadStream {
    const obj = this.stat(bucket, name);
    if (!obj || (generation && generation !== obj.generation)) {
      throw new TarmacError(
        'NOT_FOUND',
        `object gs://${bucket}/${name}${generation ? `#${generation}` : ''} not found`,
        { reason: 'SOURCE_NOT_FOUND' },
      );
    }
    return createReadStream(this.path(bucket, name));
  }

  private path(bucket: string, name: string): string {
    return join(this.root, 'buckets', bucket, name);
  }

  private check(bucket: string, name: string): void {
    if (!/^[a-z0-9][a-z0-9._-]{1,220}$/.test(bucket)) {
      throw new TarmacError('INVALID_ARGUMENT', `invalid bucket name ${JSON.stringify(bucket)}`, {
        reason: 'BAD_BUCKET',
      });
    }
    if (!NAME_RE.test(name)) {
      throw new TarmacError('INVALID_ARGUMENT', `invalid object name ${JSON.stringify(name)}`, {
        reason: 'BAD_OBJECT_NAME',
      });
    }
  }

  private nextGeneration(): string {
    const g = Math.max(this.clock.now() * 1000, this.lastGeneration + 1);
    this.lastGeneration = g;
    return String(g);
  }
}
