import { describe, expect, it } from 'vitest';
import { compileModel, modelFromBytes, modelToBytes, UserError } from 'ssmc';
import { formatReport, graphHtml, inspectBytes } from 'ssmc/inspect';
import { describeInspectError, inspectOnnx, parseDimsText } from '../../web/src/inspect-view.js';
import { goldenCase, goldenWeights, modelFileFor } from '../helpers/golden.js';
import { loopModel } from '../inspect/models.js';

/** The demo's inspector view, outside the browser: the library's report, its graph page, the IR text. */
describe('web inspector view', () => {
  const c = goldenCase('gss_lm');
  const compiled = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: c.name }, { seqLen: null, opset: 17 });
  const model = compiled.model;
  const bytes = modelToBytes(model);

  it('shows the library report: overview with SSM layers and cost estimate, then the per-value table apart', () => {
    const r = inspectOnnx(bytes, 'model <1>.onnx');
    const [head, ...rest] = r.summary.split('\n');
    expect(head).toBe(`model <1>.onnx: ${(bytes.byteLength / 1e6).toFixed(2)} MB`);
    // Overview + values is exactly what `ssmc inspect` prints for the same bytes.
    expect(`${rest.join('\n')}\n\n${r.values}`).toBe(formatReport(inspectBytes(bytes)));
    expect(r.summary).toMatch(/\nSSM layers:\n  made by ssmc: yes; arch gss-lm/);
    for (const layer of compiled.layers) expect(r.summary).toMatch(new RegExp(`\\n\\s+${layer.name.replace(/\./g, '\\.')}\\s+${layer.kernel}`));
    expect(r.summary).toMatch(/\ncost estimate:\n[\s\S]*FLOPs: /);
    expect(r.summary).toContain(`nodes: ${model.graph.nodes.length} in the main graph`);
    expect(r.summary).not.toContain('values (inferred types)');
    expect(r.values.split('\n')[0]).toBe('values (inferred types):');
    for (const n of model.graph.nodes) for (const v of n.outputs) expect(r.values).toContain(v.name);
    expect(r.highlights).toMatch(new RegExp(`^${compiled.layers.length} SSM layers \\(gss-lm\\), [\\d.]+ (k )?parameters, [\\d.]+ [kMG]?FLOPs \\+ unknown \\(.*still symbolic\\)$`));
    expect(r.irText).toMatch(/^model ir=\d+ opsets/);
  });

  it('draws the graph with the library page: the layers as groups, one box per node, escaped title', () => {
    const r = inspectOnnx(bytes, 'model <1>.onnx');
    expect(r.graphPage).toBe(graphHtml(modelFromBytes(bytes), 'model <1>.onnx', { dims: {} }));
    const main = r.graphPage.slice(r.graphPage.indexOf('<section id="g0">'), r.graphPage.indexOf('</section>'));
    const drawing = (JSON.parse(/id="drawing-data">(.*?)<\/script>/s.exec(r.graphPage)![1]!) as Record<string, { drawing: { units: { kind: string; depth?: number; path?: string }[] } }>)['0']!.drawing;
    expect(drawing.units.filter((u) => u.kind === 'op')).toHaveLength(model.graph.nodes.length);
    expect(drawing.units.filter((u) => u.kind === 'group' && u.depth === 1).map((u) => u.path)).toEqual(['token_emb', ...compiled.layers.map((l) => l.name.replace(/\.dss$/, '')), 'to_logits']);
    expect(main.match(/<g class="input"/g)?.length).toBe(model.graph.inputs.length);
    expect(main.match(/<g class="output"/g)?.length).toBe(model.graph.outputs.length);
    expect(r.graphPage).toContain('model &lt;1&gt;.onnx'); // the file name is escaped, not markup
    expect(r.graphPage).not.toContain('model <1>');
  });

  it('puts subgraphs in sections that expand, and describes each node for the click panel', () => {
    const r = inspectOnnx(modelToBytes(loopModel()), 'loop.onnx');
    expect(r.graphPage).toMatch(/<details id="g1"><summary>subgraph [^<]*Loop/);
    expect(r.summary).toMatch(/\nsubgraphs:\n\s+\S+: Loop /);
    const data = JSON.parse(/<script type="application\/json" id="graph-data">(.*)<\/script>/.exec(r.graphPage)![1]!) as Record<string, { title: string; inputs: string[][] }>;
    const loop = Object.values(data).find((d) => d.title.startsWith('Loop'))!;
    expect(loop.inputs).toContainEqual(['trips', 'i64[]']);
  });

  it('resolves symbolic dims from the dims field and refuses bad entries, naming the field', () => {
    const open = inspectOnnx(bytes, 'm.onnx');
    expect([...open.symbols].sort()).toEqual(['L', 'batch']);
    const r = inspectOnnx(bytes, 'm.onnx', 'L=256, batch=2');
    expect(r.unresolved).toEqual([]);
    expect(r.summary).toContain('  for L=256 batch=2\n');
    expect(r.summary).not.toContain('still symbolic');
    expect(r.report.cost.flops).toBe(inspectBytes(bytes, { dims: { L: 256, batch: 2 } }).cost.flops);
    // The estimate follows the dims: a longer sequence costs more.
    expect(inspectOnnx(bytes, 'm.onnx', 'L=512 batch=2').report.cost.flops).toBeGreaterThan(r.report.cost.flops);
    expect(r.highlights).toMatch(/FLOPs( \+ unknown)? for L=256 batch=2$/);

    expect(parseDimsText('  ', ['L'])).toEqual({});
    const refused = (text: string) => {
      try {
        parseDimsText(text, ['L', 'batch']);
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return describeInspectError(e);
      }
      return 'accepted';
    };
    expect(refused('L=abc')).toBe("symbolic dims: 'L=abc' must be NAME=N with N a non-negative integer, e.g. L=4096");
    expect(refused('T=4')).toBe("symbolic dims: the model has no symbolic dim 'T'; its symbolic dims are: L, batch");
    expect(refused('L=4 L=8')).toMatch(/^symbolic dims: 'L' is given twice/);
    expect(refused('L=99999999999999999999')).toMatch(/^symbolic dims: L=99999999999999999999 is too large/);
    expect(describeInspectError(expectThrow(() => inspectOnnx(bytes, 'm.onnx', 'seq=4')))).toMatch(/no symbolic dim 'seq'/);
  });

  it('explains bytes that are not an ONNX model with the reader\'s message', () => {
    const message = describeInspectError(expectThrow(() => inspectOnnx(new TextEncoder().encode('not a model'), 'x.onnx')));
    expect(message).toMatch(/not a valid ONNX model/);
    expect(message).not.toMatch(/^cannot inspect/); // the OnnxFormatError message itself, not a wrapped crash
    const truncated = describeInspectError(expectThrow(() => inspectOnnx(bytes.subarray(0, Math.floor(bytes.byteLength / 3)), 'cut.onnx')));
    expect(truncated.length).toBeGreaterThan(0);
    expect(truncated).not.toMatch(/^cannot inspect/);
  });
});

function expectThrow(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}
