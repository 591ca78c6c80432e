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

  it('tells a listener on every address from one on a single address', () => {
    const one = TCP.replace('00000000:1F90 00000000:0000 0A', '6402000A:1F90 00000000:0000 0A');
    expect(hasListener(TCP, ':1F90', true)).toBe(true);
    expect(hasListener(one, ':1F90')).toBe(true);
    expect(hasListener(one, ':1F90', true)).toBe(false);
    const v6 = `  sl  local_address remote_address st
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A
   1: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A
`;
    expect(hasListener(v6, ':1F90', true)).toBe(true);
    expect(hasListener(v6, ':0050', true)).toBe(false);
  });
});

describe('NetnsPorts.open', () => {
  it('refuses a process whose cgroup does not name the container', async () => {
    expect(await NetnsPorts.open(process.pid, 'f'.repeat(64))).toBeUndefined();
    expect(await NetnsPorts.open(undefined, 'f'.repeat(64))).toBeUndefined();
  });
});
