import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../export/onnx-write.js';
import { compileModel } from '../../src/compile.js';
import { describeInspectError, inspectOnnx } from '../../web/src/inspect-view.js';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';

/** The demo's inspector view, outside the browser: summary, IR text and the drawn graph. */
describe('web inspector view', () => {
  const c = goldenCase('s4d_lin_zoh');
  const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: c.name }, { seqLen: null, opset: 17 });
  const bytes = modelToBytes(model);

  it('summarises the model and draws one box per node, input and output', () => {
    const r = inspectOnnx(bytes, 'model <1>.onnx');
    expect(r.summary).toMatch(/^model <1>\.onnx: [\d.]+ MB\n/);
    expect(r.summary).toContain(`nodes: ${model.graph.nodes.length} —`);
    expect(r.irText).toMatch(/^model ir=\d+ opsets/);
    expect(r.graphPage.match(/<g class="op">/g)?.length).toBe(model.graph.nodes.length);
    expect(r.graphPage.match(/<g class="input">/g)?.length).toBe(model.graph.inputs.length);
    expect(r.graphPage.match(/<g class="output">/g)?.length).toBe(model.graph.outputs.length);
    // Every edge of the graph is drawn: one per node input that comes from a node or a graph input, plus the outputs.
    const inGraph = new Set(model.graph.inputs);
    const edges = model.graph.nodes.reduce((n, node) => n + node.inputs.filter((v) => v && (v.producer || inGraph.has(v))).length, 0) + model.graph.outputs.length;
    expect(r.graphPage.match(/<path /g)?.length).toBe(edges);
    expect(r.graphPage).toContain('model &lt;1&gt;.onnx'); // the file name is escaped, not markup
    expect(r.graphPage).not.toContain('model <1>');
  });

  it('explains bytes that are not an ONNX model', () => {
    let message = '';
    try {
      inspectOnnx(new TextEncoder().encode('not a model'), 'x.onnx');
    } catch (e) {
      message = describeInspectError(e);
    }
    expect(message).toMatch(/not a valid ONNX model/);
  });
});
