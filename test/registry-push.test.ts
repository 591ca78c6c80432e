import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { usePlatform } from './harness.ts';
import { RegClient, errorCode, sha256 } from './registry-client.ts';

// OCI Distribution v1.1 conformance: pull and push flows, exact statuses and headers.
const R = 'tarmac-project/conf';

describe('registry conformance: blobs and uploads', () => {
  it('pushes POST then PUT and pulls with HEAD, GET and Range', async () => {
    const c = RegClient.owner(await usePlatform());
    const data = randomBytes(5000);
    const start = await c.req('POST', `/v2/${R}/blobs/uploads/`);
    expect(start.status).toBe(202);
    const loc = start.headers.get('location')!;
    expect(loc).toMatch(new RegExp(`^/v2/${R}/blobs/uploads/[0-9a-f-]{36}$`));
    expect(start.headers.get('range')).toBe('0-0');
    expect(start.headers.get('docker-upload-uuid')).toBe(loc.split('/').pop());
    const digest = sha256(data);
    const put = await c.req('PUT', `${loc}?digest=${digest}`, data, {
      'content-type': 'application/octet-stream',
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('location')).toBe(`/v2/${R}/blobs/${digest}`);
    expect(put.headers.get('docker-content-digest')).toBe(digest);

    const head = await c.req('HEAD', `/v2/${R}/blobs/${digest}`);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('5000');
    expect(head.headers.get('docker-content-digest')).toBe(digest);
    const get = await c.req('GET', `/v2/${R}/blobs/${digest}`);
    expect(get.body.equals(data)).toBe(true);
    const part = await c.req('GET', `/v2/${R}/blobs/${digest}`, undefined, { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 10-19/5000');
    expect(part.body.equals(data.subarray(10, 20))).toBe(true);
    const bad = await c.req('GET', `/v2/${R}/blobs/${digest}`, undefined, { range: 'bytes=6000-' });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */5000');
    const other = await c.req('HEAD', `/v2/tarmac-project/elsewhere/blobs/${digest}`);
    expect(other.status).toBe(404);
  });

  it('pushes with a single POST', async () => {
    const c = RegClient.owner(await usePlatform());
    const data = randomBytes(100);
    const res = await c.req('POST', `/v2/${R}/blobs/uploads/?digest=${sha256(data)}`, data, {
      'content-type': 'application/octet-stream',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v2/${R}/blobs/${sha256(data)}`);
    expect((await c.req('GET', `/v2/${R}/blobs/${sha256(data)}`)).body.equals(data)).toBe(true);
  });

  it('pushes in chunks with Content-Range, refuses out-of-order chunks with 416, reports status', async () => {
    const c = RegClient.owner(await usePlatform());
    const data = randomBytes(30);
    const loc = (await c.req('POST', `/v2/${R}/blobs/uploads/`, '', { 'content-length': '0' })).headers.get(
      'location',
    )!;
    const p1 = await c.req('PATCH', loc, data.subarray(0, 10), { 'content-range': '0-9' });
    expect(p1.status).toBe(202);
    expect(p1.headers.get('range')).toBe('0-9');
    expect(p1.headers.get('location')).toBe(loc);
    const ooo = await c.req('PATCH', loc, data.subarray(20, 30), { 'content-range': '20-29' });
    expect(ooo.status).toBe(416);
    expect(errorCode(ooo)).toBe('BLOB_UPLOAD_INVALID');
    expect(ooo.headers.get('range')).toBe('0-9');
    expect(ooo.headers.get('location')).toBe(loc);
    const malformed = await c.req('PATCH', loc, data.subarray(10, 20), { 'content-range': 'ten-twenty' });
    expect(malformed.status).toBe(416);
    const status = await c.req('GET', loc);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-9');
    expect(
      (await c.req('PATCH', loc, data.subarray(10, 20), { 'content-range': '10-19' })).headers.get('range'),
    ).toBe('0-19');
    const fin = await c.req('PUT', `${loc}?digest=${sha256(data)}`, data.subarray(20), {
      'content-range': '20-29',
    });
    expect(fin.status).toBe(201);
    expect((await c.req('GET', `/v2/${R}/blobs/${sha256(data)}`)).body.equals(data)).toBe(true);
  });

  it('takes a streamed PATCH without Content-Range, then an empty closing PUT', async () => {
    const c = RegClient.owner(await usePlatform());
    const data = randomBytes(70_000);
    const loc = (await c.req('POST', `/v2/${R}/blobs/uploads/`)).headers.get('location')!;
    expect((await c.req('PATCH', loc, data)).headers.get('range')).toBe('0-69999');
    expect((await c.req('PUT', `${loc}?digest=${sha256(data)}`)).status).toBe(201);
  });

  it('cancels an upload', async () => {
    const c = RegClient.owner(await usePlatform());
    const loc = (await c.req('POST', `/v2/${R}/blobs/uploads/`)).headers.get('location')!;
    expect((await c.req('DELETE', loc)).status).toBe(204);
    const gone = await c.req('GET', loc);
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('BLOB_UPLOAD_UNKNOWN');
    expect((await c.req('PATCH', loc, 'x')).status).toBe(404);
  });

  it('mounts across repositories, with from and automatically; falls back to an upload', async () => {
    const c = RegClient.owner(await usePlatform());
    const d = await c.pushBlob(`${R}/a`, randomBytes(64));
    const m1 = await c.req('POST', `/v2/${R}/b/blobs/uploads/?mount=${d}&from=${R}/a`);
    expect(m1.status).toBe(201);
    expect(m1.headers.get('location')).toBe(`/v2/${R}/b/blobs/${d}`);
    expect(m1.headers.get('docker-content-digest')).toBe(d);
    const m2 = await c.req('POST', `/v2/${R}/c/blobs/uploads/?mount=${d}`);
    expect(m2.status).toBe(201);
    expect((await c.req('HEAD', `/v2/${R}/c/blobs/${d}`)).status).toBe(200);
    const miss = await c.req('POST', `/v2/${R}/d/blobs/uploads/?mount=${sha256('nothing')}&from=${R}/a`);
    expect(miss.status).toBe(202);
    expect(miss.headers.get('location')).toMatch(/\/blobs\/uploads\//);
  });

  it('deletes blobs', async () => {
    const c = RegClient.owner(await usePlatform());
    const d = await c.pushBlob(R, randomBytes(10));
    expect((await c.req('DELETE', `/v2/${R}/blobs/${d}`)).status).toBe(202);
    const head = await c.req('HEAD', `/v2/${R}/blobs/${d}`);
    expect(head.status).toBe(404);
    const again = await c.req('DELETE', `/v2/${R}/blobs/${d}`);
    expect(again.status).toBe(404);
    expect(errorCode(again)).toBe('BLOB_UNKNOWN');
  });
});
