/**
 * Load on the ingress alone, to profile it: wrk for `seconds` at `connections` through the ingress
 * to the Python app, after a warm-up. Run under a profiler, e.g.
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/serving/profile.ts 10 32
 */
import { startRig } from '../../test/serving/rig.ts';
import { deployPythonApp, formatWrk, withCpu, wrk } from './common.ts';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 32);
const rig = await startRig({});
try {
  const { url } = await deployPythonApp(rig, 'prof');
  const target = `http://127.0.0.1:${rig.port}/`;
  const host = new URL(url).host;
  await wrk(target, { host, seconds: 2, connections });
  const { result, cpu } = await withCpu(['python3', 'slirp4netns'], () =>
    wrk(target, { host, seconds, connections }),
  );
  console.log(`ingress: ${formatWrk(result)}  cpu/request: ${cpu}`);
} finally {
  await rig.dispose();
}
