export { ServicesControlPlane } from './plane.ts';
export type { ServicesDeps, ServicesIam, IamPolicy, ImageResolver, ProjectRef } from './deps.ts';
export type { UpdateOptions } from './control.ts';
export type { Location } from './names.ts';
export { buildRuntimeSpec, defaultServiceAccount, expandEnv, resolveTraffic } from './desired.ts';
export { toKnative, fromKnative } from './knative.ts';
export { servicesIamOf, imageResolverFor, imageDigestFor } from './wiring.ts';
