import type { RevisionRuntimeSpec } from '../model/index.ts';
import type { Instance } from './instance.ts';
import { probeOnce, type LauncherDeps } from './launcher.ts';

/**
 * Runs the revision's liveness probe against a ready instance every period; after
 * `failureThreshold` failures in a row it logs why and calls `restart` once.
 */
export function watchLiveness(
  spec: RevisionRuntimeSpec,
  inst: Instance,
  deps: LauncherDeps,
  restart: () => void,
): void {
  const probe = spec.livenessProbe;
  if (!probe) return;
  let failures = 0;
  const period = Math.max(1, probe.periodSeconds) * 1000;
  const check = async (): Promise<void> => {
    if (inst.state !== 'ready') return;
    const ok = await probeOnce(probe, inst.hostPort, Math.max(1, probe.timeoutSeconds) * 1000);
    if (inst.state !== 'ready') return;
    failures = ok ? 0 : failures + 1;
    if (!ok) deps.observer?.probeFailed?.(spec, inst.id, 'liveness');
    if (failures >= Math.max(1, probe.failureThreshold)) {
      deps.observer?.instanceRestarted?.(spec, inst.id, 'liveness');
      deps.systemLog(
        spec.name,
        'ERROR',
        `LIVENESS probe failed ${failures} times consecutively for instance ${inst.id}; restarting it.`,
      );
      restart();
      return;
    }
    deps.clock.setTimeout(() => void check(), period);
  };
  deps.clock.setTimeout(() => void check(), probe.initialDelaySeconds * 1000 + period);
}
