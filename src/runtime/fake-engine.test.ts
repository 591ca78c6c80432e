import { fileURLToPath } from 'node:url';
import { engineConformance } from './conformance.ts';
import { FakeEngine } from './fake-engine.ts';
import { tarDirectory } from './tar.ts';

const fixtures = fileURLToPath(new URL('../../test/fixtures/', import.meta.url));

engineConformance({
  name: 'fake',
  engine: () => Promise.resolve(new FakeEngine()),
  image: 'fake/app',
  httpImage: 'fake/app',
  programs: {
    sleep: { command: ['sleep'] },
    ignoreTerm: { command: ['ignore-term'] },
    exit3: { command: ['exit', '3', 'out', 'err:err'] },
    ticker: { command: ['ticker', '200'] },
    allocate: { command: ['allocate', '200'] },
    http: { command: ['http'] },
  },
  helloPython: () => tarDirectory(`${fixtures}hello-python`),
  failing: () => tarDirectory(`${fixtures}failing-build`),
  slowBuildMs: 10_000,
});
