import { describe, expect, it } from 'vitest';
import { KernelOomLog } from './oom-kmsg.ts';

const ID = '67bdd8998a6db5d9abbbae2ae390d22efc4ebe4ffecac53b8697d195297ca450';

describe('KernelOomLog', () => {
  it('ties the cgroup usage of an OOM report to the killed container', () => {
    const log = new KernelOomLog();
    // Records as this machine's kernel wrote them for a 64 MiB container (dmesg, Podman + runc, cgroup v1).
    log.record('6,2043,10926893300,-;memory: usage 65536kB, limit 65536kB, failcnt 0');
    log.record('6,2044,10926893318,-;memory+swap: usage 65536kB, limit 65536kB, failcnt 0');
    log.record(`6,2046,10926893319,-;Memory cgroup stats for /libpod_parent/libpod-${ID}:`);
    log.record(
      `6,2095,10926893393,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=libpod-${ID},mems_allowed=0,oom_memcg=/libpod_parent/libpod-${ID},task_memcg=/libpod_parent/libpod-${ID},task=sh,pid=17456,uid=0`,
    );
    expect(log.usageAtKill(ID)).toBe(64 * 1024 * 1024);
    expect(log.usageAtKill('f'.repeat(64))).toBeUndefined();
    log.close();
  });
});
