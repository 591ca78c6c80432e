export * from './auth.ts';
export * from './serving.ts';
export * from './build.ts';
