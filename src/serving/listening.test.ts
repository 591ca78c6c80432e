import { describe, expect, it } from 'vitest';
import { NetnsPorts, hasListener } from './listening.ts';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
`;

describe('hasListener', () => {
  it('finds LISTEN rows by port and ignores established ones', () => {
    expect(hasListener(TCP, ':1F90')).toBe(true);
    expect(hasListener(TCP, ':0050')).toBe(false);
    expect(hasListener(TCP, ':0051')).toBe(false);
    expect(hasListener('header only\n', ':1F90')).toBe(false);
  });
});

describe('NetnsPorts.open', () => {
  it('refuses a process whose cgroup does not name the container', async () => {
    expect(await NetnsPorts.open(process.pid, 'f'.repeat(64))).toBeUndefined();
    expect(await NetnsPorts.open(undefined, 'f'.repeat(64))).toBeUndefined();
  });
});
