import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MEDIA } from '../src/registry/index.ts';
import { usePlatform } from './harness.ts';
import { RegClient, errorCode, rawRequest, sha256 } from './registry-client.ts';

// Bad input: each case gets the right OCI error, and nothing is stored or corrupted.
const R = 'tarmac-project/bad';

describe('registry bad input', () => {
  it('rejects a wrong digest and stores nothing', async () => {
    const c = RegClient.owner(await usePlatform());
    const data = randomBytes(2000);
    const loc = (await c.req('POST', `/v2/${R}/blobs/uploads/`)).headers.get('location')!;
    const res = await c.req('PUT', `${loc}?digest=${sha256('something else')}`, data);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('DIGEST_INVALID');
    expect((await c.req('HEAD', `/v2/${R}/blobs/${sha256(data)}`)).status).toBe(404);
    expect((await c.req('HEAD', `/v2/${R}/blobs/${sha256('something else')}`)).status).toBe(404);
    const single = await c.req('POST', `/v2/${R}/blobs/uploads/?digest=${sha256('nope')}`, data);
    expect(single.status).toBe(400);
    expect(errorCode(single)).toBe('DIGEST_INVALID');
    const md5 = await c.req('POST', `/v2/${R}/blobs/uploads/?digest=md5:${'a'.repeat(32)}`, data);
    expect([md5.status, errorCode(md5)]).toEqual([400, 'UNSUPPORTED']);
    const missing = await c.req(
      'PUT',
      `${(await c.req('POST', `/v2/${R}/blobs/uploads/`)).headers.get('location')}`,
    );
    expect([missing.status, errorCode(missing)]).toEqual([400, 'DIGEST_INVALID']);
  });

  it('drops a truncated chunk whole and keeps the upload usable', async () => {
    const p = await usePlatform();
    const c = RegClient.owner(p);
    const data = randomBytes(20);
    const loc = (await c.req('POST', `/v2/${R}/blobs/uploads/`)).headers.get('location')!;
    await c.req('PATCH', loc, data.subarray(0, 10), { 'content-range': '0-9' });
    const partial = randomBytes(100_000);
    const cut = await rawRequest(
      p.urls.registry,
      'PATCH',
      loc,
      { authorization: c.authorization!, 'content-length': '200000' },
      { body: partial, cutAfter: 100_000 },
    );
    expect(cut).toBe('reset');
    // Whichever order the server sees them in, the cut chunk leaves no bytes behind.
    const next = await c.req('PATCH', loc, data.subarray(10));
    expect(next.status).toBe(202);
    const fin = await c.req('PUT', `${loc}?digest=${sha256(data)}`);
    expect(fin.status).toBe(201);
    expect((await c.req('GET', `/v2/${R}/blobs/${sha256(data)}`)).body.equals(data)).toBe(true);
  });

  it('refuses invalid names and path traversal in names, digests and upload ids', async () => {
    const p = await usePlatform();
    const c = RegClient.owner(p);
    const auth = { authorization: c.authorization! };
    const cases: [string, string, number, string][] = [
      ['GET', '/v2/Tarmac-Project/App/tags/list', 400, 'NAME_INVALID'],
      ['GET', '/v2/tarmac-project/../../etc/tags/list', 400, 'NAME_INVALID'],
      ['GET', '/v2/tarmac-project/%2e%2e/x/tags/list', 400, 'NAME_INVALID'],
      ['POST', '/v2/tarmac-project//x/blobs/uploads/', 400, 'NAME_INVALID'],
      ['GET', `/v2/tarmac-project/${'a'.repeat(300)}/tags/list`, 400, 'NAME_INVALID'],
      ['GET', '/v2/tarmac-project/x/blobs/sha256:..%2F..%2Fetc%2Fpasswd', 400, 'DIGEST_INVALID'],
      ['GET', '/v2/tarmac-project/x/blobs/sha256:' + 'A'.repeat(64), 400, 'DIGEST_INVALID'],
      ['GET', '/v2/tarmac-project/x/manifests/sha256:..%2f..', 400, 'DIGEST_INVALID'],
      ['PATCH', '/v2/tarmac-project/x/blobs/uploads/..%2F..%2Fregistry', 404, 'BLOB_UPLOAD_UNKNOWN'],
      ['GET', '/v2/tarmac-project/x/blobs/uploads/..', 404, 'BLOB_UPLOAD_UNKNOWN'],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await rawRequest(p.urls.registry, method, path, auth);
      if (res === 'reset') throw new Error('unexpected reset');
      expect([
        path,
        res.status,
        (JSON.parse(res.body) as { errors: { code: string }[] }).errors[0]!.code,
      ]).toEqual([path, status, code]);
    }
  });

  it('answers 413 to an oversized manifest and refuses unknown media types and bad JSON', async () => {
    const c = RegClient.owner(await usePlatform());
    const img = await c.pushImage(R, 'ok');
    const big = JSON.stringify({
      ...JSON.parse(img.body),
      annotations: { pad: 'x'.repeat(5 * 1024 * 1024) },
    });
    const large = await c.req('PUT', `/v2/${R}/manifests/big`, big, { 'content-type': MEDIA.ociManifest });
    expect([large.status, errorCode(large)]).toEqual([413, 'MANIFEST_INVALID']);
    const odd = await c.req('PUT', `/v2/${R}/manifests/odd`, img.body.replace(MEDIA.ociManifest, 'x/y'), {
      'content-type': 'application/vnd.example.unknown+json',
    });
    expect([odd.status, errorCode(odd)]).toEqual([400, 'MANIFEST_INVALID']);
    const mismatch = await c.req('PUT', `/v2/${R}/manifests/mm`, img.body, {
      'content-type': MEDIA.dockerManifest,
    });
    expect([mismatch.status, errorCode(mismatch)]).toEqual([400, 'MANIFEST_INVALID']);
    const junk = await c.req('PUT', `/v2/${R}/manifests/junk`, '{not json', {
      'content-type': MEDIA.ociManifest,
    });
    expect([junk.status, errorCode(junk)]).toEqual([400, 'MANIFEST_INVALID']);
    for (const t of ['big', 'odd', 'mm', 'junk'])
      expect((await c.req('HEAD', `/v2/${R}/manifests/${t}`)).status).toBe(404);
  });

  it('answers 416 to chunks out of order or with a range that does not match their length', async () => {
    const c = RegClient.owner(await usePlatform());
    const loc = (await c.req('POST', `/v2/${R}/blobs/uploads/`)).headers.get('location')!;
    const skip = await c.req('PATCH', loc, randomBytes(10), { 'content-range': '5-14' });
    expect([skip.status, skip.headers.get('range')]).toEqual([416, '0-0']);
    const lie = await c.req('PATCH', loc, randomBytes(10), { 'content-range': '0-19' });
    expect(lie.status).toBe(416);
    expect((await c.req('GET', loc)).headers.get('range')).toBe('0-0');
  });

  it('takes concurrent pushes of the same blob', async () => {
    const c = RegClient.owner(await usePlatform());
    const data = randomBytes(3 << 20);
    const digests = await Promise.all([1, 2, 3, 4].map((i) => c.pushBlob(`${R}/c${i % 2}`, data)));
    expect(new Set(digests)).toEqual(new Set([sha256(data)]));
    for (const r of ['c0', 'c1'])
      expect((await c.req('GET', `/v2/${R}/${r}/blobs/${sha256(data)}`)).body.equals(data)).toBe(true);
  });

  it('refuses a manifest that references a missing blob', async () => {
    const c = RegClient.owner(await usePlatform());
    const config = await c.pushBlob(R, Buffer.from('{}'));
    const absent = sha256('never pushed');
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 2 },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: absent, size: 12 }],
    });
    const res = await c.req('PUT', `/v2/${R}/manifests/latest`, manifest, {
      'content-type': MEDIA.ociManifest,
    });
    expect([res.status, errorCode(res)]).toEqual([400, 'MANIFEST_BLOB_UNKNOWN']);
    expect((res.json as { errors: { detail: { digest: string } }[] }).errors[0]!.detail.digest).toBe(absent);
    expect((await c.req('GET', `/v2/${R}/manifests/latest`)).status).toBe(404);
  });
});
