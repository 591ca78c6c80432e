export * from './auth.ts';
export * from './serving.ts';
