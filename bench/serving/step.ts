/**
 * bench/serving (c): autoscaler reaction. One client for 5 s, then 50 concurrent clients (each
 * request holds 0.5 s) against concurrency 10: time until enough instances serve the demand
 * (ceil(50/10) = 5) and until the 60 % target (ceil(50/6) = 9).
 *   npx tsx bench/serving/step.ts
 */
import { get } from '../../test/serving/client.ts';
import { startRig } from '../../test/serving/rig.ts';

const rig = await startRig({});
try {
  const { url, spec } = await rig.deploy('step', { concurrency: 10, maxInstances: 20 });
  let clients = 1;
  let stop = false;
  const loop = async (id: number): Promise<void> => {
    while (!stop) {
      if (id >= clients) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      await get(url, rig.port, '/cgi-bin/sleep?0.5').catch(() => undefined);
    }
  };
  const loops = Array.from({ length: 50 }, (_, i) => loop(i));
  await new Promise((r) => setTimeout(r, 5000));
  const t0 = Date.now();
  clients = 50;
  let tNeeded = 0;
  let tTarget = 0;
  while (Date.now() - t0 < 90_000 && tTarget === 0) {
    const ready = rig.serving.instanceCounts(spec.name).ready;
    if (!tNeeded && ready >= 5) tNeeded = Date.now() - t0;
    if (ready >= 9) tTarget = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  stop = true;
  await Promise.all(loops);
  console.log('step 1 -> 50 clients, concurrency 10, 0.5 s requests');
  console.log(`time to 5 ready instances (demand at 100 %): ${tNeeded} ms`);
  console.log(`time to 9 ready instances (60 % target):     ${tTarget || 'not reached in 90 s'} ms`);
} finally {
  await rig.dispose();
}
