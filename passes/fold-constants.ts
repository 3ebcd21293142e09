import type { Graph } from '../ir/graph.js';
import { evaluateNode } from '../ir/interp/evaluate.js';
import { fromTensor, toTensor } from '../ir/interp/rtensor.js';
import { inferNode } from '../ir/infer/index.js';
import { ONNX_DOMAIN, SSMC_DOMAIN, type Node } from '../ir/node.js';
import { i64, type Tensor } from '../ir/tensor.js';
import { staticSize } from '../ir/types.js';
import { eliminateDeadCode } from './dce.js';
import type { Pass } from './pass.js';

/** Results larger than this stay in the graph: a model file should not balloon. */
const MAX_FOLD_ELEMENTS = 16 * 1024 * 1024;

function foldable(node: Node): boolean {
  if (node.domain !== ONNX_DOMAIN && node.domain !== SSMC_DOMAIN) return false;
  if ([...node.attrs.values()].some((a) => a.kind === 'graph' || a.kind === 'graphs')) return false;
  return node.inputs.every((v) => v === null || v.isConstant);
}

/**
 * Evaluate nodes whose inputs are all constants with the float64 reference interpreter and
 * replace them by initializers (float64 folding is more accurate than the float32 graph would
 * be). `Shape` of a fully static input folds too, so a fixed --seq-len folds the whole kernel and
 * its spectrum.
 */
export function foldConstants(graph: Graph, opset: number): boolean {
  let changed = false;
  for (const node of [...graph.nodes]) {
    const known = knownShapeValue(node);
    if (known) {
      replaceWithConstants(graph, node, [known]);
      changed = true;
      continue;
    }
    if (!foldable(node)) continue;
    const outSize = node.outputs.map((v) => staticSize(v.type.shape));
    if (outSize.some((n) => n !== null && n > MAX_FOLD_ELEMENTS)) continue;
    const results = evaluateNode(node, node.inputs.map((v) => (v ? fromTensor(v.constant!) : null)), opset);
    replaceWithConstants(graph, node, results.map((r, i) => toTensor(r, node.outputs[i]!.type.dtype)));
    changed = true;
  }
  if (changed) {
    eliminateDeadCode(graph);
    // Types sharpen once values are known (a folded length makes Range and DFT sizes static).
    for (const n of graph.nodes) inferNode(n, opset, { lenient: true });
  }
  return changed;
}

/**
 * Shape arithmetic whose values shape inference already knows as numbers — Shape(x)[2] of an
 * input [batch, 4, 32] is 32 although `batch` is symbolic — becomes a constant.
 */
function knownShapeValue(node: Node): Tensor | null {
  const out = node.outputs[0];
  if (node.domain !== ONNX_DOMAIN || node.outputs.length !== 1 || !out || out.type.dtype !== 'int64') return null;
  const vals = out.shapeValue;
  const dims = out.type.shape;
  if (!vals || !dims || dims.some((d) => typeof d !== 'number') || vals.some((v) => typeof v !== 'number')) return null;
  if (staticSize(dims) !== vals.length) return null;
  return i64(vals as number[], dims as number[]);
}

function replaceWithConstants(graph: Graph, node: Node, tensors: ReturnType<typeof toTensor>[]): void {
  node.outputs.forEach((out, i) => {
    const c = graph.addInitializer(`${out.name}.folded`, tensors[i]!);
    graph.replaceAllUsesWith(out, c, true);
  });
  graph.removeNode(node);
}

export const foldConstantsPass: Pass = {
  name: 'fold-constants',
  description: 'evaluate constant subgraphs in float64 and store them as initializers',
  run: (model, target) => foldConstants(model.graph, target.opset),
};
