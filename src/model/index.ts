export * from './auth.ts';
export * from './serving.ts';
export * from './scheduler.ts';
export * from './build.ts';
