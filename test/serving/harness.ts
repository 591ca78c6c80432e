import { onTestFinished } from 'vitest';
import type { ServingOptions } from '../../src/serving/index.ts';
import { startRig, type Rig } from './rig.ts';

export { PROJECT_NUMBER, REGION, appSpec } from './rig.ts';

/** A rig (Serving on the real engine + its ingress) disposed after the current test. */
export async function useServing(opts: Partial<ServingOptions> = {}): Promise<Rig> {
  const rig = await startRig(opts);
  onTestFinished(() => rig.dispose());
  return rig;
}
