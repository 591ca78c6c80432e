import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { BuildOptions, ImageInfo, RegistryAuth } from './engine.ts';
import { engineError, engineMessage, mapEngineError, statusOf } from './errors.ts';
import { jsonMessages } from './streams.ts';

/** Splits `host/repo/name:tag` (or `@digest`) into the repository and the tag. */
export function splitRef(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at !== -1) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/** Registries spoken to over plain HTTP: loopback addresses and localhost. */
export function isPlainHttpRegistry(ref: string): boolean {
  const first = ref.split('/')[0] ?? '';
  if (!ref.includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost'))
    return false;
  const host = first.replace(/:\d+$/, '');
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
}

function authConfig(auth: RegistryAuth | undefined, ref: string): Docker.AuthConfig | undefined {
  if (!auth) return undefined;
  return {
    username: auth.username,
    password: auth.password,
    serveraddress: auth.serveraddress ?? ref.split('/')[0]!,
  };
}

export async function inspectImage(docker: Docker, ref: string): Promise<ImageInfo> {
  try {
    const i = await docker.getImage(ref).inspect();
    return {
      id: i.Id,
      repoTags: i.RepoTags ?? [],
      repoDigests: i.RepoDigests ?? [],
      env: i.Config?.Env ?? [],
      exposedPorts: Object.keys(i.Config?.ExposedPorts ?? {}).map((p) => Number.parseInt(p, 10)),
      sizeBytes: i.Size,
      labels: i.Config?.Labels ?? {},
    };
  } catch (e) {
    throw mapEngineError(e, `inspect image ${ref}`, 'IMAGE_NOT_FOUND');
  }
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (e) {
    if (statusOf(e) === 404) return false;
    throw mapEngineError(e, `inspect image ${ref}`, 'IMAGE_NOT_FOUND');
  }
}

/** Consumes a progress stream, sending readable lines to onLog; throws on an `error` message. */
async function follow(
  stream: Readable,
  onLog: ((line: string) => void) | undefined,
  fail: (message: string) => Error,
): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for await (const m of jsonMessages(stream)) {
    all.push(m);
    const err =
      (m.errorDetail as { message?: string } | undefined)?.message ?? (m.error as string | undefined);
    if (err) throw fail(err);
    const text = (m.stream as string | undefined) ?? (m.status as string | undefined);
    if (onLog && typeof text === 'string') {
      for (const line of text.split('\n')) if (line.trim() !== '') onLog(line.replace(/\r$/, ''));
    }
  }
  return all;
}

/**
 * Pulls an image. Podman's compat pull has no tlsVerify switch, so a plain-HTTP loopback registry is
 * pulled through its libpod endpoint instead (the same service, tlsVerify=false).
 */
export async function pull(docker: Docker, ref: string, auth?: RegistryAuth, podman = false): Promise<void> {
  const { repo, tag } = splitRef(ref);
  const ac = authConfig(auth, ref);
  let stream: Readable;
  try {
    if (podman && isPlainHttpRegistry(ref)) {
      stream = await new Promise<Readable>((resolve, reject) => {
        docker.modem.dial(
          {
            path: '/v4.0.0/libpod/images/pull?',
            method: 'POST',
            options: { reference: ref, tlsVerify: false, quiet: false },
            authconfig: ac,
            isStream: true,
            statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such image', 500: 'server error' },
          },
          (err, data) => (err ? reject(err) : resolve(data as Readable)),
        );
      });
    } else {
      const opts: Record<string, unknown> = { fromImage: repo, tag };
      if (ac) opts.authconfig = ac;
      stream = (await docker.pull(ref, opts)) as Readable;
    }
  } catch (e) {
    if (statusOf(e) === 404) throw engineError('IMAGE_NOT_FOUND', `pull ${ref}: ${engineMessage(e)}`, e);
    if (statusOf(e) !== undefined) throw engineError('PULL_FAILED', `pull ${ref}: ${engineMessage(e)}`, e);
    throw mapEngineError(e, `pull ${ref}`);
  }
  await follow(stream, undefined, (m) => engineError('PULL_FAILED', `pull ${ref}: ${m}`));
}

export async function build(docker: Docker, o: BuildOptions): Promise<{ imageId: string }> {
  if (o.signal?.aborted) throw engineError('BUILD_CANCELLED', `build of ${o.tag} cancelled`);
  const opts: Record<string, unknown> = {
    t: o.tag,
    dockerfile: o.dockerfile ?? 'Dockerfile',
    rm: true,
    forcerm: true,
  };
  if (o.noCache) opts.nocache = true;
  if (o.layers === false) opts.layers = false;
  if (o.buildArgs) opts.buildargs = JSON.stringify(o.buildArgs);
  if (o.labels) opts.labels = JSON.stringify(o.labels);
  if (o.signal) opts.abortSignal = o.signal;
  const cancelled = (): Error => engineError('BUILD_CANCELLED', `build of ${o.tag} cancelled`);
  let stream: Readable;
  try {
    stream = (await docker.buildImage(o.context, opts)) as unknown as Readable;
  } catch (e) {
    if (o.signal?.aborted) throw cancelled();
    if (statusOf(e) !== undefined)
      throw engineError('BUILD_FAILED', `build of ${o.tag}: ${engineMessage(e)}`, e);
    throw mapEngineError(e, `build of ${o.tag}`);
  }
  try {
    const onAbort = (): void => {
      stream.destroy();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await follow(stream, o.onLog, (m) => engineError('BUILD_FAILED', `build of ${o.tag} failed: ${m}`));
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
  } catch (e) {
    if (o.signal?.aborted) throw cancelled();
    throw e;
  }
  if (o.signal?.aborted) throw cancelled();
  // The tag is the source of truth for the result, whatever the stream said.
  try {
    const id = (await docker.getImage(o.tag).inspect()).Id;
    return { imageId: id.startsWith('sha256:') ? id : `sha256:${id}` };
  } catch (e) {
    throw engineError('BUILD_FAILED', `build of ${o.tag} produced no image: ${engineMessage(e)}`, e);
  }
}

export async function tag(docker: Docker, source: string, target: string): Promise<void> {
  const { repo, tag: t } = splitRef(target);
  try {
    await docker.getImage(source).tag({ repo, tag: t });
  } catch (e) {
    throw mapEngineError(e, `tag ${source} as ${target}`, 'IMAGE_NOT_FOUND');
  }
}

export async function push(
  docker: Docker,
  ref: string,
  auth?: RegistryAuth,
  onLog?: (line: string) => void,
): Promise<{ digest: string }> {
  const { repo, tag: t } = splitRef(ref);
  const opts: Record<string, unknown> = { tag: t };
  const ac = authConfig(auth, ref);
  if (ac) opts.authconfig = ac;
  else opts.authconfig = { username: '', password: '', serveraddress: ref.split('/')[0]! };
  if (isPlainHttpRegistry(ref)) opts.tlsVerify = false;
  let stream: Readable;
  try {
    stream = (await docker.getImage(repo).push(opts)) as unknown as Readable;
  } catch (e) {
    if (statusOf(e) === 404) throw engineError('IMAGE_NOT_FOUND', `push ${ref}: ${engineMessage(e)}`, e);
    if (statusOf(e) !== undefined) throw engineError('PUSH_FAILED', `push ${ref}: ${engineMessage(e)}`, e);
    throw mapEngineError(e, `push ${ref}`);
  }
  const msgs = await follow(stream, onLog, (m) => engineError('PUSH_FAILED', `push ${ref}: ${m}`));
  for (const m of msgs.reverse()) {
    const aux = m.aux as { Digest?: string } | undefined;
    if (aux?.Digest) return { digest: aux.Digest };
    const s = typeof m.status === 'string' ? m.status : typeof m.stream === 'string' ? m.stream : '';
    const d = /digest: (sha256:[a-f0-9]{64})/.exec(s);
    if (d) return { digest: d[1]! };
  }
  throw engineError('PUSH_FAILED', `push ${ref}: the engine reported no manifest digest`);
}

export async function removeImage(docker: Docker, ref: string, force = false): Promise<void> {
  try {
    await docker.getImage(ref).remove({ force });
  } catch (e) {
    if (statusOf(e) === 404) return;
    throw mapEngineError(e, `remove image ${ref}`, 'IMAGE_NOT_FOUND');
  }
}
