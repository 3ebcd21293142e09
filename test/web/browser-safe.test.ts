import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileModel, modelToBytes } from 'ssmc';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';

/**
 * The library core (IR, passes, ONNX/safetensors export, inspection) must run in browsers: no
 * Node-only module or global may appear in it. The CLI, files.ts and runtime/node.ts are the Node
 * side and are not scanned.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CORE_DIRS = ['ir', 'passes', 'export', 'src/inspect'];

const NODE_MODULES = ['fs', 'path', 'os', 'crypto', 'url', 'child_process', 'worker_threads', 'util', 'stream', 'buffer', 'zlib', 'http', 'https', 'net', 'module', 'process', 'readline', 'events', 'assert'];
const RULES: [RegExp, string][] = [
  [/\bfrom\s*['"]node:[^'"]+['"]|\bimport\s*\(\s*['"]node:|\brequire\s*\(\s*['"]node:/, "imports a 'node:' module"],
  [new RegExp(`\\bfrom\\s*['"](${NODE_MODULES.join('|')})(/[^'"]*)?['"]|\\b(import|require)\\s*\\(\\s*['"](${NODE_MODULES.join('|')})['"]`), 'imports a Node built-in module'],
  [/\bBuffer\s*[.(]|\bnew\s+Buffer\b|:\s*Buffer\b/, 'uses Node\'s Buffer (use Uint8Array)'],
  [/\bprocess\.\w/, "uses Node's process global"],
  [/\b__dirname\b|\b__filename\b/, 'uses a CommonJS path global'],
];

/** The code of a line without its comments, so prose about Buffer or process does not trip a rule. */
function stripComments(line: string, inBlock: { open: boolean }): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (inBlock.open) {
      if (line.startsWith('*/', i)) { inBlock.open = false; i++; }
      continue;
    }
    if (line.startsWith('/*', i)) { inBlock.open = true; i++; continue; }
    if (line.startsWith('//', i)) break;
    out += line[i];
  }
  return out;
}

function scanForNodeApis(files: string[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const state = { open: false };
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      const code = stripComments(line, state);
      for (const [re, why] of RULES) {
        if (re.test(code)) problems.push(`${relative(ROOT, file)}:${i + 1}: ${why}: ${line.trim()}`);
      }
    });
  }
  return problems;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('browser-safe core', () => {
  it('ir/, passes/, export/ and src/inspect/ use no Node-only API', () => {
    const files = CORE_DIRS.flatMap((d) => tsFiles(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(20);
    const problems = scanForNodeApis(files);
    expect(problems, `Node-only APIs in the browser-safe core:\n${problems.join('\n')}`).toEqual([]);
  });

  it('the scanner catches each kind of Node-only use and ignores comments', () => {
    const dir = join(ROOT, '.tmp');
    const probe = join(dir, `scan-probe-${process.pid}.ts`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, [
      "import { createHash } from 'node:crypto';",
      "import { join } from 'path';",
      'const b = Buffer.from([1]);',
      'const e = process.env.X;',
      '// Buffer.from and process.env in a comment are fine',
      '/* import x from "node:fs" */',
      'const ok = new Uint8Array(1);',
    ].join('\n'));
    try {
      const found = scanForNodeApis([probe]).map((p) => p.replace(/^.*?:(\d+): /, '$1: '));
      expect(found.map((p) => p.split(':')[0])).toEqual(['1', '2', '3', '4']);
      expect(found[0]).toMatch(/'node:' module/);
      expect(found[1]).toMatch(/Node built-in/);
    } finally {
      rmSync(probe, { force: true });
    }
  });

  it('the demo page and worker type-check against the DOM and worker libraries, without Node types', () => {
    // web/tsconfig.json has "types": [] — any Node API reached from the page's imports fails here.
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'web/tsconfig.json')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 120_000);

  it('compiling twice gives byte-identical ONNX (the CSE content hash is deterministic)', () => {
    const c = goldenCase('gss_lm');
    const compile = () => modelToBytes(compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: 'gss_lm' }, { seqLen: 32, opset: 17 }).model);
    const a = compile(), b = compile();
    expect(a.byteLength).toBe(b.byteLength);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  }, 60_000);
});
