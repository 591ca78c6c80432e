import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths } from '../config/index.ts';
import { FakeClock, silentLogger } from '../shared/index.ts';
import { MetaRepo, openDatabase } from '../store/index.ts';
import { Iam } from './service.ts';

export const TEST_API = 'http://127.0.0.1:18090';

/** An Iam on a temp home with an in-memory database and a FakeClock, for unit tests. */
export async function makeIam(): Promise<{ iam: Iam; clock: FakeClock; dispose: () => Promise<void> }> {
  const home = mkdtempSync(join(tmpdir(), 'tarmac-iam-'));
  const db = openDatabase(':memory:');
  const clock = new FakeClock(Date.now());
  const iam = new Iam({
    db,
    meta: new MetaRepo(db),
    clock,
    logger: silentLogger(),
    paths: statePaths(home),
    defaultProject: 'tarmac-project',
    defaultRegion: 'us-central1',
    apiUrl: () => TEST_API,
    metadata: { host: '127.0.0.1', port: 0 },
  });
  await iam.start();
  return {
    iam,
    clock,
    dispose: async () => {
      await iam.dispose();
      db.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
