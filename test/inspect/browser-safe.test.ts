import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * src/inspect/ runs in the browser too (the web demo's inspector): no Node-only module or global.
 * Checked two ways: a scan of the source, and a type-check with the DOM library and no Node types.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIR = join(ROOT, 'src/inspect');

const FORBIDDEN: [RegExp, string][] = [
  [/\bfrom\s*['"]node:|\bimport\s*\(\s*['"]node:|\brequire\s*\(/, "imports a 'node:' module or uses require"],
  [/\bfrom\s*['"](fs|path|os|crypto|url|child_process|worker_threads|util|stream|buffer|zlib|process|events)(\/[^'"]*)?['"]/, 'imports a Node built-in'],
  [/\bBuffer\b/, "uses Node's Buffer"],
  [/\bprocess\.\w/, "uses Node's process"],
  [/\b__dirname\b|\b__filename\b/, 'uses a CommonJS path global'],
  [/from\s*['"]\.\.\/(cli|runtime|files)[/'"]|from\s*['"]\.\.\/files\.js['"]/, 'imports a Node-side module of src/'],
];

/** Source without comments and string contents, so prose mentioning Buffer does not count. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

describe('src/inspect is browser-safe', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.ts')).map((f) => join(DIR, f));

  it('uses no Node-only module or global', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    const problems: string[] = [];
    for (const f of files) {
      code(readFileSync(f, 'utf8')).split('\n').forEach((line, i) => {
        for (const [re, why] of FORBIDDEN) if (re.test(line)) problems.push(`${f}:${i + 1}: ${why}: ${line.trim()}`);
      });
    }
    expect(problems).toEqual([]);
  });

  it('the scanner sees what it must', () => {
    const bad = ["import { readFileSync } from 'node:fs';", "import * as path from 'path';", 'const b = Buffer.from(x);', 'if (process.env.X) {}', "import { writeAtomic } from '../files.js';"];
    for (const line of bad) expect(FORBIDDEN.some(([re]) => re.test(code(line))), line).toBe(true);
    expect(FORBIDDEN.some(([re]) => re.test(code('// a Buffer in a comment')))).toBe(false);
  });

  it('type-checks against the DOM library without Node types', () => {
    const dir = join(ROOT, '.tmp', `inspect-tsc-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'tsconfig.json');
    writeFileSync(config, JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: true,
        esModuleInterop: true, lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [],
      },
      files: files.map((f) => f.replace(/\\/g, '/')),
    }));
    try {
      const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
