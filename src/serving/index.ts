export { Serving, type ServingOptions } from './serving.ts';
export type { InstanceRegistry, Severity } from './launcher.ts';
export {
  decide,
  DEFAULT_SCALING,
  type ScalingSpec,
  type ScalingWindow,
  type ScalingDecision,
} from './autoscaler.ts';
export { parseHost, serviceHost, serviceUrl } from './hosts.ts';
export type { ServingObserver, RevisionStats } from './observer.ts';
export { MAX_BODY_BYTES, type RequestHook } from './proxy.ts';
