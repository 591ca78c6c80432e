import { join } from 'node:path';

/** Where each part keeps its state under TARMAC_HOME. */
export interface StatePaths {
  home: string;
  database: string;
  blobs: string;
  builds: string;
  keys: string;
  credentials: string;
  engine: string;
  logs: string;
}

export function statePaths(home: string): StatePaths {
  return {
    home,
    database: join(home, 'tarmac.db'),
    blobs: join(home, 'registry'),
    builds: join(home, 'builds'),
    keys: join(home, 'keys'),
    credentials: join(home, 'credentials.json'),
    engine: join(home, 'engine'),
    logs: join(home, 'logs'),
  };
}
