import { defineConfig } from 'vitest/config';

// vitest 5's reporter calls Map.groupBy (Node 21+) when it prints failures; Node 20 lacks it.
const mapWithGroupBy = Map as unknown as { groupBy?: <K, T>(items: Iterable<T>, key: (item: T, i: number) => K) => Map<K, T[]> };
if (!mapWithGroupBy.groupBy) {
  mapWithGroupBy.groupBy = <K, T>(items: Iterable<T>, key: (item: T, i: number) => K) => {
    const groups = new Map<K, T[]>();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      groups.set(k, [...(groups.get(k) ?? []), item]);
    }
    return groups;
  };
}

export default defineConfig({
  // The package's own entry points (`ssmc`, `ssmc/ir`, …) resolve to the TypeScript sources, as
  // in tsconfig's customConditions, not to a possibly stale dist/ (then vite's default server conditions).
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // onnxruntime sessions and the float64 reference are CPU-heavy; the machine has 2 cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
