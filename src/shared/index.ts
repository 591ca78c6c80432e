export * from './errors.ts';
export * from './clock.ts';
export * from './ids.ts';
export * from './log.ts';
export * from './lifecycle.ts';
export * from './http.ts';
