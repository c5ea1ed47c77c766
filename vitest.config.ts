import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'services/*/test/**/*.test.ts'],
    // Several suites render every environment or start the CLI in a child process.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one worker per core keeps child processes from starving each other.
    maxWorkers: 2,
  },
});
