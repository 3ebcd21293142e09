/**
 * The pass manager: passes run in order, each pass's report is kept by the pass (identity, not
 * name), failures become PassError naming the pass and those before it, pre- and postconditions
 * are checked, the verifier runs after every pass that changed the model (with the properties
 * established so far), and --print-after prints the IR text.
 */
import { describe, expect, it } from 'vitest';
import { c64, VerifyError } from 'ssmc/ir';
import { changed, type Pass, PassError, runPipeline } from 'ssmc/passes';
import { input, newModel } from '../helpers/graphs.js';

const target = { opset: 17 };

function tinyModel() {
  const { model, b } = newModel();
  const x = input(model, 'x', [2]);
  const y = b.op('Relu', [x]);
  model.graph.outputs.push(y);
  return model;
}

/** A pass that does nothing but report `report` (and says whether it "changed" anything). */
function reporting<R>(name: string, report: R, didChange = false): Pass<R> {
  return { name, description: `reports ${String(report)}`, run: () => ({ changed: didChange, report }) };
}

const noop: Pass = { name: 'noop', description: 'does nothing', run: () => changed(false) };

describe('runPipeline', () => {
  it('keeps each pass\'s report by the pass itself, even when two passes share a name', () => {
    const first = reporting('same-name', ['a']), second = reporting('same-name', ['b'], true);
    const result = runPipeline(tinyModel(), target, [first, noop, second]);
    expect(result.reportOf(first)).toEqual(['a']);
    expect(result.reportOf(second)).toEqual(['b']);
    expect(result.reportOf(noop)).toBeUndefined();
    expect(result.changedBy).toEqual([second]);
  });

  it('wraps a failure as PassError: the pass, the passes before it, the original error as cause', () => {
    const boom = new Error('no such axis');
    const failing: Pass = { name: 'failing', description: 'throws', run: () => { throw boom; } };
    let caught: unknown;
    try {
      runPipeline(tinyModel(), target, [noop, failing, noop]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PassError);
    const e = caught as PassError;
    expect(e.pass).toBe(failing);
    expect(e.after).toEqual(['noop']);
    expect(e.cause).toBe(boom);
    expect(e.message).toBe("error in pass 'failing' (after [noop]): no such axis");
  });

  it('checks the precondition before a pass and the postcondition after it', () => {
    const picky: Pass = { ...noop, name: 'picky', requires: () => 'needs opset 20' };
    expect(() => runPipeline(tinyModel(), target, [picky])).toThrow(/error in pass 'picky' \(after \[\]\): precondition failed: needs opset 20/);
    const sloppy: Pass = { ...noop, name: 'sloppy', ensures: () => "node 'relu' is still there" };
    expect(() => runPipeline(tinyModel(), target, [noop, sloppy])).toThrow(/error in pass 'sloppy' \(after \[noop\]\): postcondition failed: node 'relu' is still there/);
  });

  it('verifies the IR after a pass that changed it, naming that pass', () => {
    const breaking: Pass = {
      name: 'breaking', description: 'reads a value of another model',
      run: (model) => {
        const stranger = tinyModel().graph.inputs[0]!;
        model.graph.nodes[0]!.setInput(0, stranger);
        return changed(true);
      },
    };
    let caught: unknown;
    try {
      runPipeline(tinyModel(), target, [breaking]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PassError);
    expect((caught as PassError).pass).toBe(breaking);
    expect((caught as PassError).cause).toBeInstanceOf(VerifyError);
    expect((caught as PassError).message).toMatch(/input 0 '%x' is used before it is defined/);
  });

  it('checks what earlier passes established: no complex value after one that lowers them', () => {
    const realOnly: Pass = { ...noop, name: 'real-only', establishes: { noComplex: true } };
    const addsComplex: Pass = {
      name: 'adds-complex', description: 'a complex constant feeding a new output',
      run: (model) => {
        const z = model.graph.addInitializer('z', c64([1], [2], [1]));
        const node = model.graph.createNode('', 'Identity', [z], {}, 1, { outputTypes: [z.type] });
        model.graph.outputs.push(node.outputs[0]!);
        return changed(true);
      },
    };
    expect(() => runPipeline(tinyModel(), target, [addsComplex])).not.toThrow();
    expect(() => runPipeline(tinyModel(), target, [realOnly, addsComplex])).toThrow(/error in pass 'adds-complex' \(after \[real-only\]\): .*complex value '%identity' remains after lower-complex/s);
  });

  it('prints the IR after the named passes, and says when a pass left it unchanged', () => {
    const printed: string[] = [];
    const touching = reporting('touching', null, true);
    runPipeline(tinyModel(), target, [noop, touching], { printAfter: ['noop', 'touching'], print: (t) => printed.push(t) });
    expect(printed.map((t) => t.split('\n')[0])).toEqual(['// IR after noop (unchanged)', '// IR after touching']);
    expect(printed[1]).toContain('%relu = Relu(%x) : f32[2]');
  });

  it('refuses to print after a pass the pipeline does not have, listing those it has', () => {
    expect(() => runPipeline(tinyModel(), target, [noop], { printAfter: ['nope'] })).toThrow("unknown pass 'nope'; the pipeline has: noop");
  });
});
