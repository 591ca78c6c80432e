import { loadConfig } from '../../src/config/index.ts';
import { startPlatform } from '../../src/platform.ts';
import { FakeEngine } from '../../src/runtime/index.ts';
import { createLogger } from '../../src/shared/index.ts';
const home = process.argv[2]!;
const config = loadConfig({
  env: {},
  overrides: {
    home,
    ports: { ingress: 0, api: 0, registry: Number(process.argv[3] ?? 0), metadata: 0 } as never,
    logLevel: 'warn',
  },
});
// The registry needs no containers: a fake engine keeps a Podman service out of the measurement.
const p = await startPlatform(config, { logger: createLogger('warn'), engine: new FakeEngine() });
console.log(JSON.stringify({ registry: p.urls.registry, token: p.iam.ownerCredentials.token }));
process.on('SIGTERM', () => {
  void p.dispose().then(() => process.exit(0));
});
