import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CompileMode, compileModel, type ModelFile, modelToBytes, UserError } from 'ssmc';
import type { Graph, Model } from 'ssmc/ir';
import { LOWERINGS } from 'ssmc/passes';
import { checkerTestsRun, checkOnnxFiles } from '../helpers/onnx-checker.js';

/**
 * ONNX's own checker on what ssmc writes: every family × mode × lowering (fixed and dynamic
 * length, with and without custom ops) compiled at opset 17 must pass
 * `onnx.checker.check_model(full_check=True)` and strict shape inference with type checks. Python's
 * onnx 1.12 checks opsets up to 17; for opset 20 the grid is checked for what ONNX's DFT-20
 * shape inference rejects (a one-sided inverse), which this checker cannot run.
 */

const FAMILIES: Record<string, ModelFile> = {
  's4d-minimal': { arch: 's4d-minimal', args: { d_model: 4, d_state: 8 } },
  's4-block diag': { arch: 's4-block', args: { d_model: 4, d_state: 8, mode: 'diag', init: 'diag-lin' } },
  's4-block diag bidirectional': { arch: 's4-block', args: { d_model: 4, d_state: 8, mode: 'diag', init: 'diag-lin', bidirectional: true } },
  's4-block dplr': { arch: 's4-block', args: { d_model: 4, d_state: 8, mode: 'dplr' } },
  's4-block dplr bidirectional': { arch: 's4-block', args: { d_model: 4, d_state: 8, mode: 'dplr', bidirectional: true } },
  'dss exp': { arch: 'dss', args: { d_model: 4, d_state: 8, version: 'exp' } },
  'dss softmax': { arch: 'dss', args: { d_model: 4, d_state: 8, version: 'softmax' } },
  gss: { arch: 'gss', args: { dim: 8, dss_kernel_N: 8, dss_kernel_H: 4 } },
  'gss-lm': { arch: 'gss-lm', args: { num_tokens: 16, dim: 8, depth: 2, dss_kernel_N: 8, dss_kernel_H: 4 } },
};

interface Variant { label: string; mode: CompileMode; seqLen: number | null; lowering: string; customOps: boolean }

function variants(): Variant[] {
  const out: Variant[] = [];
  for (const seqLen of [null, 24]) {
    for (const lowering of ['auto', ...LOWERINGS.map((l) => l.name)]) {
      for (const customOps of [false, true]) out.push({ label: `conv L=${seqLen ?? 'dynamic'} ${lowering}${customOps ? ' custom-ops' : ''}`, mode: 'conv', seqLen, lowering, customOps });
    }
    out.push({ label: `prefill L=${seqLen ?? 'dynamic'}`, mode: 'prefill', seqLen, lowering: 'auto', customOps: false });
  }
  for (const customOps of [false, true]) out.push({ label: `step${customOps ? ' custom-ops' : ''}`, mode: 'step', seqLen: null, lowering: 'auto', customOps });
  return out;
}

/** Compile one grid point, or the reason ssmc refuses it (a lowering a layer cannot take, no step mode). */
function compileGrid(opset: number, f: (name: string, v: Variant, m: Model) => void): { refused: string[] } {
  const refused: string[] = [];
  for (const [name, file] of Object.entries(FAMILIES)) {
    for (const v of variants()) {
      let m: Model;
      try {
        m = compileModel(file, null, { opset, mode: v.mode, seqLen: v.seqLen, lowering: v.lowering, customOps: v.customOps }).model;
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        refused.push(`${name} ${v.label}: ${e.message.slice(0, 80)}`);
        continue;
      }
      f(name, v, m);
    }
  }
  return { refused };
}

const dir = mkdtempSync(join(tmpdir(), 'ssmc-checker-grid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ONNX checker on every graph ssmc writes', () => {
  it.runIf(checkerTestsRun('the ONNX checker grid'))('opset 17: check_model(full_check=True) and strict shape inference pass on the whole grid', () => {
    const files: { label: string; path: string }[] = [];
    const { refused } = compileGrid(17, (name, v, m) => {
      const path = join(dir, `${files.length}.onnx`);
      writeFileSync(path, modelToBytes(m));
      files.push({ label: `${name} ${v.label}`, path });
    });
    expect(files.length).toBeGreaterThan(150);
    const results = checkOnnxFiles(files.map((f) => f.path));
    const failed = files.map((f) => ({ f, r: results.get(f.path)! })).filter(({ r }) => !r.ok).map(({ f, r }) => `${f.label}: ${r.stage}: ${r.error}`);
    expect(failed).toEqual([]);
    console.log(`checker grid: ${files.length} graphs pass onnx.checker (full_check) and strict shape inference; ${refused.length} grid points refused by ssmc (lowering or mode not applicable)`);
  }, 600_000);

  it('opset 20: no DFT is both one-sided and inverse (ONNX defines neither DFT-17 nor DFT-20 that way)', () => {
    let dfts = 0;
    const bad: string[] = [];
    const visit = (g: Graph, where: string) => {
      for (const n of g.nodes) {
        if (n.op === 'DFT') {
          dfts++;
          if (n.attrInt('onesided', 0) === 1 && n.attrInt('inverse', 0) === 1) bad.push(`${where}: ${n.name}`);
        }
        for (const a of n.attrs.values()) if (a.kind === 'graph') visit(a.value, where);
      }
    };
    compileGrid(20, (name, v, m) => {
      visit(m.graph, `${name} ${v.label}`);
      for (const fn of m.functions) visit(fn.body, `${name} ${v.label} function ${fn.name}`);
    });
    expect(dfts).toBeGreaterThan(20);
    expect(bad).toEqual([]);
  }, 600_000);
});
