import { readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRig } from '../../test/serving/rig.ts';
import { deployPythonApp, startNginx, wrk } from './common.ts';
function ticks(names: string[]): [number, number] {
  let u = 0, s = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let st: string; try { st = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { continue; }
    const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
    if (!names.some((n) => comm === n || comm.startsWith(n))) continue;
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    u += Number(f[11]); s += Number(f[12]);
  }
  return [u * 10000, s * 10000];
}
const rig = await startRig({});
const dir = mkdtempSync(join(tmpdir(), 'sc-'));
const { url, spec } = await deployPythonApp(rig, 'sc');
const upstream = await rig.hostPort(spec.name);
const nginx = await startNginx(dir, upstream);
const host = new URL(url).host;
for (let round = 0; round < 2; round++)
for (const [name, u] of [['ingress', `http://127.0.0.1:${rig.port}/`], ['nginx', `http://127.0.0.1:${nginx.port}/`]] as const) {
  const c0 = process.cpuUsage(); const n0 = ticks(['nginx']); const p0 = ticks(['python3']); const s0 = ticks(['slirp4netns']); const w0 = ticks(['wrk']);
  const r = await wrk(u, { host, seconds: 8, connections: 32 });
  const c = process.cpuUsage(c0); const n1 = ticks(['nginx']); const p1 = ticks(['python3']); const s1 = ticks(['slirp4netns']);
  const N = r.requests;
  const f = (a: [number, number], b: [number, number]) => `u${((b[0] - a[0]) / N).toFixed(0)}/s${((b[1] - a[1]) / N).toFixed(0)}`;
  console.log(name, r.rps.toFixed(0), 'rps', `tarmac u${(c.user / N).toFixed(0)}/s${(c.system / N).toFixed(0)}`, 'nginx', f(n0, n1), 'python', f(p0, p1), 'slirp', f(s0, s1));
}
nginx.stop();
await rig.dispose();
