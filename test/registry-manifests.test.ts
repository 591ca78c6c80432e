import { describe, expect, it } from 'vitest';
import { MEDIA } from '../src/registry/index.ts';
import { usePlatform } from './harness.ts';
import { RegClient, errorCode, sha256 } from './registry-client.ts';

// OCI Distribution v1.1 conformance: manifests, content discovery and content management.
const R = 'tarmac-project/app';
const EMPTY = Buffer.from('{}');

describe('registry conformance: manifests', () => {
  it('pushes and pulls OCI and Docker manifests by tag and digest', async () => {
    const c = RegClient.owner(await usePlatform());
    for (const mediaType of [MEDIA.ociManifest, MEDIA.dockerManifest]) {
      const img = await c.pushImage(R, 'v1', { mediaType });
      for (const ref of ['v1', img.digest]) {
        const get = await c.req('GET', `/v2/${R}/manifests/${ref}`, undefined, { accept: mediaType });
        expect(get.status).toBe(200);
        expect(get.headers.get('content-type')).toBe(mediaType);
        expect(get.headers.get('docker-content-digest')).toBe(img.digest);
        expect(get.body.toString()).toBe(img.body);
        const head = await c.req('HEAD', `/v2/${R}/manifests/${ref}`);
        expect(head.status).toBe(200);
        expect(head.headers.get('content-length')).toBe(String(img.size));
        expect(head.headers.get('docker-content-digest')).toBe(img.digest);
      }
    }
  });

  it('answers PUT with 201, Location and Docker-Content-Digest; checks a digest reference', async () => {
    const c = RegClient.owner(await usePlatform());
    const img = await c.pushImage(R, 'a');
    const byDigest = await c.req('PUT', `/v2/${R}/manifests/${img.digest}`, img.body, {
      'content-type': MEDIA.ociManifest,
    });
    expect(byDigest.status).toBe(201);
    expect(byDigest.headers.get('location')).toBe(`/v2/${R}/manifests/${img.digest}`);
    expect(byDigest.headers.get('docker-content-digest')).toBe(img.digest);
    const wrong = await c.req('PUT', `/v2/${R}/manifests/${sha256('x')}`, img.body, {
      'content-type': MEDIA.ociManifest,
    });
    expect(wrong.status).toBe(400);
    expect(errorCode(wrong)).toBe('DIGEST_INVALID');
  });

  it('stores OCI indexes and Docker manifest lists whose children are present', async () => {
    const c = RegClient.owner(await usePlatform());
    const a = await c.pushImage(R, 'amd64');
    for (const mediaType of [MEDIA.ociIndex, MEDIA.dockerList]) {
      const index = JSON.stringify({
        schemaVersion: 2,
        mediaType,
        manifests: [
          { mediaType: MEDIA.ociManifest, digest: a.digest, size: a.size, platform: { os: 'linux' } },
        ],
      });
      const put = await c.req('PUT', `/v2/${R}/manifests/multi`, index, { 'content-type': mediaType });
      expect(put.status).toBe(201);
      expect((await c.req('GET', `/v2/${R}/manifests/multi`)).headers.get('content-type')).toBe(mediaType);
    }
    const missing = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [{ mediaType: MEDIA.ociManifest, digest: sha256('absent'), size: 10 }],
    });
    const bad = await c.req('PUT', `/v2/${R}/manifests/broken`, missing, { 'content-type': MEDIA.ociIndex });
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('MANIFEST_BLOB_UNKNOWN');
  });

  it('lists tags in lexical order with n, last and a Link header', async () => {
    const c = RegClient.owner(await usePlatform());
    const img = await c.pushImage(R, 'b');
    for (const t of ['a', 'C', 'd', 'E']) {
      await c.req('PUT', `/v2/${R}/manifests/${t}`, img.body, { 'content-type': MEDIA.ociManifest });
    }
    const all = await c.req('GET', `/v2/${R}/tags/list`);
    expect(all.json).toEqual({ name: R, tags: ['a', 'b', 'C', 'd', 'E'] });
    expect(all.headers.get('link')).toBeNull();
    const p1 = await c.req('GET', `/v2/${R}/tags/list?n=2`);
    expect((p1.json as { tags: string[] }).tags).toEqual(['a', 'b']);
    expect(p1.headers.get('link')).toBe(`</v2/${R}/tags/list?n=2&last=b>; rel="next"`);
    const p2 = await c.req('GET', `/v2/${R}/tags/list?n=2&last=b`);
    expect((p2.json as { tags: string[] }).tags).toEqual(['C', 'd']);
    const p3 = await c.req('GET', `/v2/${R}/tags/list?n=2&last=d`);
    expect((p3.json as { tags: string[] }).tags).toEqual(['E']);
    expect(p3.headers.get('link')).toBeNull();
    const zero = await c.req('GET', `/v2/${R}/tags/list?n=0`);
    expect((zero.json as { tags: string[] }).tags).toEqual([]);
    expect(zero.headers.get('link')).toBeNull();
    const unknown = await c.req('GET', `/v2/tarmac-project/nothing/tags/list`);
    expect(unknown.status).toBe(404);
    expect(errorCode(unknown)).toBe('NAME_UNKNOWN');
  });

  it('serves referrers with artifactType filtering and answers OCI-Subject', async () => {
    const c = RegClient.owner(await usePlatform());
    const img = await c.pushImage(R, 'signed');
    const emptyDigest = await c.pushBlob(R, EMPTY);
    const artifact = (artifactType: string, note: string): string =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        artifactType,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: emptyDigest, size: 2 },
        layers: [],
        subject: { mediaType: MEDIA.ociManifest, digest: img.digest, size: img.size },
        annotations: { note },
      });
    const sbom = artifact('application/vnd.example.sbom', 'sbom');
    const put = await c.req('PUT', `/v2/${R}/manifests/${sha256(sbom)}`, sbom, {
      'content-type': MEDIA.ociManifest,
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('oci-subject')).toBe(img.digest);
    const sig = artifact('application/vnd.example.sig', 'sig');
    await c.req('PUT', `/v2/${R}/manifests/${sha256(sig)}`, sig, { 'content-type': MEDIA.ociManifest });

    const all = await c.req('GET', `/v2/${R}/referrers/${img.digest}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe(MEDIA.ociIndex);
    expect(all.headers.get('oci-filters-applied')).toBeNull();
    const index = all.json as { schemaVersion: number; manifests: Record<string, unknown>[] };
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests).toContainEqual({
      mediaType: MEDIA.ociManifest,
      digest: sha256(sbom),
      size: Buffer.byteLength(sbom),
      artifactType: 'application/vnd.example.sbom',
      annotations: { note: 'sbom' },
    });
    expect(index.manifests).toHaveLength(2);
    const filtered = await c.req(
      'GET',
      `/v2/${R}/referrers/${img.digest}?artifactType=application/vnd.example.sig`,
    );
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect((filtered.json as { manifests: { digest: string }[] }).manifests.map((m) => m.digest)).toEqual([
      sha256(sig),
    ]);
    const none = await c.req('GET', `/v2/${R}/referrers/${sha256('nobody')}`);
    expect(none.status).toBe(200);
    expect((none.json as { manifests: unknown[] }).manifests).toEqual([]);
    expect((await c.req('GET', `/v2/${R}/referrers/sha256:abc`)).status).toBe(400);
  });

  it('deletes tags and manifests', async () => {
    const c = RegClient.owner(await usePlatform());
    const img = await c.pushImage(R, 'one');
    await c.req('PUT', `/v2/${R}/manifests/two`, img.body, { 'content-type': MEDIA.ociManifest });
    expect((await c.req('DELETE', `/v2/${R}/manifests/one`)).status).toBe(202);
    const tagGone = await c.req('GET', `/v2/${R}/manifests/one`);
    expect(tagGone.status).toBe(404);
    expect(errorCode(tagGone)).toBe('MANIFEST_UNKNOWN');
    expect((await c.req('GET', `/v2/${R}/manifests/two`)).status).toBe(200);
    expect((await c.req('DELETE', `/v2/${R}/manifests/${img.digest}`)).status).toBe(202);
    expect((await c.req('GET', `/v2/${R}/manifests/${img.digest}`)).status).toBe(404);
    expect((await c.req('GET', `/v2/${R}/manifests/two`)).status).toBe(404);
    const again = await c.req('DELETE', `/v2/${R}/manifests/${img.digest}`);
    expect(again.status).toBe(404);
    expect(errorCode(again)).toBe('MANIFEST_UNKNOWN');
    const unknownRepo = await c.req('GET', `/v2/tarmac-project/none/manifests/latest`);
    expect(errorCode(unknownRepo)).toBe('NAME_UNKNOWN');
  });

  it('pages the catalog', async () => {
    const c = RegClient.owner(await usePlatform());
    for (const r of ['x1', 'x2', 'x3']) await c.pushBlob(`tarmac-project/${r}`, Buffer.from(r));
    const p1 = await c.req('GET', '/v2/_catalog?n=2');
    expect(p1.json).toEqual({ repositories: ['tarmac-project/x1', 'tarmac-project/x2'] });
    expect(p1.headers.get('link')).toBe('</v2/_catalog?n=2&last=tarmac-project%2Fx2>; rel="next"');
    const p2 = await c.req('GET', '/v2/_catalog?n=2&last=tarmac-project/x2');
    expect(p2.json).toEqual({ repositories: ['tarmac-project/x3'] });
    expect(p2.headers.get('link')).toBeNull();
  });
});
