import { loadConfig } from '../../src/config/index.ts';
import { startPlatform } from '../../src/platform.ts';
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
const p = await startPlatform(config, { logger: createLogger('warn') });
console.log(JSON.stringify({ registry: p.urls.registry, token: p.iam.ownerCredentials.token }));
process.on('SIGTERM', () => {
  void p.dispose().then(() => process.exit(0));
});
