/** Runs once before all test files. The engine suites prepare the engine here (see src/runtime). */
export default async function setup(): Promise<void> {}
