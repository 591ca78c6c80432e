import { describe, expect, it } from 'vitest';
import { appScript } from './app.ts';
import { get } from './client.ts';
import { useServing } from './harness.ts';

// A CGI whose body runs one byte past its Content-Length (a sloppy app; bench/serving/coldstart.ts
// had one): the HTTP client reads the whole response, then fails to parse the stray byte.
const OVERLONG = [
  'mkdir -p /www/cgi-bin',
  `printf '%s\\n' '#!/bin/sh' 'printf "Content-Type: text/plain\\r\\nContent-Length: 3\\r\\n\\r\\nok\\nX"' > /www/cgi-bin/overlong`,
  'chmod +x /www/cgi-bin/overlong',
].join('; ');

describe('serving: upstream framing (real engine)', () => {
  it('delivers a whole response even when the connection breaks right after it (never a silent close)', async () => {
    const rig = await useServing();
    const { url, spec } = await rig.deploy('sloppy', {
      command: ['sh', '-c', `${OVERLONG}; ${appScript()}`],
    });
    for (let i = 0; i < 20; i++) {
      const r = await get(url, rig.port, '/cgi-bin/overlong');
      expect(r.status).toBe(200);
      expect(r.body).toBe('ok\n');
    }
    // The instance serves on: nothing was mistaken for a dead upstream.
    expect((await get(url, rig.port, '/')).body).toBe('ok\n');
    expect(rig.serving.instanceCounts(spec.name).ready).toBe(1);
  });
});
