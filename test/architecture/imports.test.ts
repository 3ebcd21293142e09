/**
 * The layering of the code, as executable policy: no import cycles at run time, type-only ones
 * only among the files of one folder (types of one data structure that refer to each other, like
 * the IR's graph, nodes and values), and each layer imports only what sits below it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_DIRS = ['ir', 'passes', 'export', 'src', 'bench', 'web'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

interface Import {
  path: string;
  /** `import type`, `export type`, or every named specifier marked `type`: erased at run time. */
  typeOnly: boolean;
}

/** Relative imports (and re-exports) of a file, as project paths of .ts files. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const statements = [...text.matchAll(/^\s*(import|export)\b([^'";]*?)\bfrom\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => ({ clause: m[2]!, spec: m[3]! }));
  const bare = [...text.matchAll(/^\s*import\s+'(\.{1,2}\/[^']+)'/gm)].map((m) => ({ clause: '', spec: m[1]! }));
  return [...statements, ...bare].map(({ clause, spec }) => {
    const names = /\{([^}]*)\}/.exec(clause)?.[1]?.split(',').map((n) => n.trim()).filter(Boolean) ?? [];
    const typeOnly = /^\s*type\b/.test(clause) || (names.length > 0 && !/^\s*\w+\s*,/.test(clause) && names.every((n) => n.startsWith('type ')));
    return { path: relative(ROOT, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))), typeOnly };
  });
}

const files = SOURCE_DIRS.flatMap((d) => sourceFiles(join(ROOT, d))).map((f) => relative(ROOT, f)).sort();
const imports = new Map(files.map((f) => [f, importsOf(join(ROOT, f))]));
/** Every import, and those that exist at run time. */
const graph = new Map([...imports].map(([f, is]) => [f, is.map((i) => i.path)]));
const runtimeGraph = new Map([...imports].map(([f, is]) => [f, is.filter((i) => !i.typeOnly).map((i) => i.path)]));

/** The IR's core has back-pointers (a graph holds nodes, a node knows its graph, a value its producer). */
const IR_CORE = ['ir/attr.ts', 'ir/graph.ts', 'ir/node.ts', 'ir/value.ts'];

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
function cycles(g: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>(), stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Imports from `from` (a folder prefix) into `to` (a folder prefix): file → imported file. */
function crossings(from: string, to: string): string[] {
  return [...graph].flatMap(([f, deps]) => (f.startsWith(from) ? deps.filter((d) => d.startsWith(to)).map((d) => `${f} → ${d}`) : []));
}

describe('imports', () => {
  it('finds the source files and their imports (the scan itself works)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get('passes/pipeline.ts')).toContain('passes/pass.ts');
  });

  it('form no cycle at run time', () => {
    expect(cycles(runtimeGraph)).toEqual([]);
  });

  it('form cycles of types only among the files of one folder', () => {
    const found = cycles(graph);
    expect(found).toContainEqual(IR_CORE);
    expect(found.filter((c) => new Set(c.map(dirname)).size > 1)).toEqual([]);
  });

  it('tells type-only imports from run-time ones', () => {
    expect(imports.get('ir/value.ts')).toContainEqual({ path: 'ir/node.ts', typeOnly: true });
    expect(imports.get('ir/graph.ts')).toContainEqual({ path: 'ir/node.ts', typeOnly: false });
  });

  it('finds a cycle when there is one (the check can fail)', () => {
    const g = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it.each([
    ['src/models/', 'passes/', 'a model says what it computes; how to lower it is the passes\' business'],
    ['ir/', 'passes/', 'the IR knows no pass'],
    ['ir/', 'src/', 'the IR knows no driver'],
    ['ir/', 'export/', 'only export/ knows protobuf'],
    ['passes/', 'src/', 'no pass knows the driver'],
    ['passes/', 'export/', 'only export/ knows protobuf'],
  ])('%s imports nothing from %s (%s)', (from, to) => {
    expect(crossings(from, to)).toEqual([]);
  });
});
