import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The package's own entry points (`ssmc`, `ssmc/ir`, …) resolve to the TypeScript sources, as
  // in tsconfig's customConditions, not to a possibly stale dist/ (then vite's default server conditions).
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // A temporary folder per run, removed at its end (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
    // onnxruntime sessions and the float64 reference are CPU-heavy; the machine has 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
