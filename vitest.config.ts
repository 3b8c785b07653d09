import { defineConfig } from 'vitest/config'

// Unit tests: pure logic, no infrastructure. Integration/e2e tests: the real Kafka broker and
// ClickHouse (chDB), started once by test/global-setup.ts and handed over with provide/inject.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 60_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Fault injection: crashes, broker restarts, ClickHouse outages, poison, slow consumers,
        // rebalance storms (docs/RELIABILITY.md). Also `npm run test:faults`.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
