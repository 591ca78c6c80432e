import { afterAll, expect } from 'vitest';
import { livePlatforms } from './harness.ts';

// The harness owns cleanup: a test file that leaves a platform running fails.
afterAll(() => {
  expect(livePlatforms(), 'platforms left running after the tests of this file').toBe(0);
});
