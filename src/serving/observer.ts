import type { RevisionRuntimeSpec, RevisionStats } from '../model/index.ts';
import type { ContainerEngine, LogLine } from '../runtime/index.ts';
import type { Instance } from './instance.ts';

/**
 * What serving reports to telemetry besides request records and system log text: every line an
 * instance prints, and instance lifecycle facts for metrics. Calls must return at once (no I/O).
 */
export interface ServingObserver {
  /** One line an instance printed on stdout or stderr, with the engine's timestamp. */
  instanceLog(spec: RevisionRuntimeSpec, instanceId: string, line: LogLine): void;
  /** An instance became ready; `cold` when a request was waiting for it. */
  instanceStarted(spec: RevisionRuntimeSpec, instanceId: string, durationMs: number, cold: boolean): void;
  /** The memory cgroup killed an instance. */
  instanceOomKilled(spec: RevisionRuntimeSpec, instanceId: string): void;
  /** An instance's startup probe gave up (it never served), or one liveness probe attempt failed. */
  probeFailed?(spec: RevisionRuntimeSpec, instanceId: string, probe: 'startup' | 'liveness'): void;
  /** A ready instance was replaced because it failed its liveness probe. */
  instanceRestarted?(spec: RevisionRuntimeSpec, instanceId: string, reason: 'liveness'): void;
}

/** Lines longer than this are cut (Cloud Logging's entry limit is 256 KiB). */
const MAX_LINE = 64 * 1024;

/**
 * Follows an instance's stdout/stderr from its start until the container is gone, handing each
 * line to the observer. The engine stream is read as fast as the observer takes lines; the
 * observer's own buffer is bounded, so a chatty container can never hold up requests.
 */
export function followInstanceLogs(
  engine: ContainerEngine,
  spec: RevisionRuntimeSpec,
  inst: Instance,
  observer: ServingObserver,
): void {
  const signal = inst.logFollow.signal;
  void (async () => {
    try {
      for await (const line of engine.logs(inst.containerId, { follow: true, timestamps: true, signal })) {
        if (line.text.length > MAX_LINE) line.text = `${line.text.slice(0, MAX_LINE)}…`;
        observer.instanceLog(spec, inst.id, line);
      }
    } catch {
      // The container was removed under the stream: nothing more to read.
    }
  })();
}
export type { RevisionStats };
