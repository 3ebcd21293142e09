import type { Graph } from '../ir/graph.js';
import { evaluateNode } from '../ir/interp/evaluate.js';
import { KERNELS } from '../ir/interp/registry.js';
import { fromTensor, toTensor, type RTensor } from '../ir/interp/rtensor.js';
import { inferNode } from '../ir/infer/index.js';
import { ONNX_DOMAIN, SSMC_DOMAIN, type Node } from '../ir/node.js';
import { i64, lazyTensor, type Tensor } from '../ir/tensor.js';
import { staticSize, type DType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { eliminateDeadCode } from './dce.js';
import { changed, type Pass } from './pass.js';

/** Results larger than this stay in the graph: a model file should not balloon. */
export const MAX_FOLD_BYTES = 256 * 1024 * 1024;

/** Bytes per element of the dtypes the reference interpreter can hand back as IR tensors. */
const FOLDABLE_DTYPES: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, complex64: 8, complex128: 16, int64: 8, int32: 4, bool: 1, uint8: 1,
};

/** Ops whose every run gives new values: folding them would freeze one draw. */
const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/**
 * A boolean result this large (an attention mask, L² of them) computed from inputs this much
 * smaller is cheaper to compute in the graph than to store: it stays a node. So does a Where
 * choosing between two scalars (an additive 0 / −∞ mask) this large: its condition, stored or
 * computed, is a quarter of its size.
 */
export const KEEP_COMPUTED_MASK_BYTES = 1 << 20;
const MASK_EXPANSION = 64;

function computedMask(node: Node, bytes: number): boolean {
  if (bytes <= KEEP_COMPUTED_MASK_BYTES) return false;
  if (node.op === 'Where' && node.inputs.slice(1).every((v) => v?.constant && staticSize(v.type.shape) === 1)) return true;
  if (!node.outputs.every((v) => v.type.dtype === 'bool')) return false;
  const inputBytes = node.inputs.reduce((n, v) => n + (v?.constant?.data && !Array.isArray(v.constant.data) ? v.constant.data.length * 8 : 0), 0);
  return inputBytes * MASK_EXPANSION < bytes;
}

function readable(v: Value | null): boolean {
  if (v === null) return true;
  const t = v.constant;
  return t !== null && t.data !== null && !Array.isArray(t.data) && !t.external;
}

/** Whether the interpreter can and may evaluate `node` here (a null answer means yes). */
function cannotFold(node: Node, opset: number): string | null {
  if (node.domain !== ONNX_DOMAIN && node.domain !== 'ai.onnx' && node.domain !== SSMC_DOMAIN) return 'custom domain';
  if (NONDETERMINISTIC.has(node.op)) return 'random';
  if ([...node.attrs.values()].some((a) => a.kind === 'graph' || a.kind === 'graphs')) return 'subgraph';
  if (!node.inputs.every(readable)) return 'inputs not constant';
  if (!node.outputs.every((v) => FOLDABLE_DTYPES[v.type.dtype] !== undefined)) return 'result dtype';
  if (!KERNELS.find(node.domain, node.op, opset)) return 'no kernel';
  return null;
}

function resultBytes(dtype: DType, elements: number): number {
  return elements * (FOLDABLE_DTYPES[dtype] ?? 8);
}

function tooLargeNote(bytes: number): string {
  return `fold-constants: kept, its result would be ${(bytes / 2 ** 20).toFixed(1)} MiB (limit ${MAX_FOLD_BYTES / 2 ** 20} MiB)`;
}

/**
 * Evaluate nodes whose inputs are all constants with the float64 reference interpreter and
 * replace them by initializers in the node's output dtype (float64 folding is more accurate than
 * the float32 graph would be). `Shape` of a fully static input folds too, so a fixed --seq-len
 * folds the whole kernel and its spectrum. Repeats until nothing changes (folded values sharpen
 * types, which can make more shapes static), then drops initializers nothing reads any more.
 */
export function foldConstants(graph: Graph, opset: number): boolean {
  // Only what the graph still needs: a lowering that never forms the kernel (chunked) leaves the
  // kernel's chain dead, and folding it would cost seconds for nothing.
  let changed = eliminateDeadCode(graph);
  // The float64 values of what this run folded: a chain is computed in float64 throughout and
  // rounded to its dtype only where it is stored (2^24 + 1 − 2^24 folds to 1, not to 0).
  const exact = new ExactValues();
  while (foldSweep(graph, opset, exact)) changed = true;
  // What is left of the folded values is stored in its dtype now, and the float64 copies go.
  for (const v of graph.initializers) void v.constant?.data;
  if (changed) {
    for (const v of [...graph.initializers]) if (v.uses.length === 0 && !graph.isOutput(v)) graph.removeInitializer(v);
  }
  return changed;
}

function foldSweep(graph: Graph, opset: number, exact: ExactValues): boolean {
  let changed = false;
  for (const node of [...graph.nodes]) {
    const known = knownShapeValue(node);
    if (known) {
      replaceWithConstants(graph, node, [known]);
      changed = true;
      continue;
    }
    if (cannotFold(node, opset)) continue;
    const view = constantView(node, exact);
    if (view) {
      const inputs = node.inputs.filter((v): v is Value => v !== null);
      replaceWithConstants(graph, node, [view]);
      dropUnread(graph, inputs, exact);
      changed = true;
      continue;
    }
    const staticBytes = node.outputs.map((v) => {
      const n = staticSize(v.type.shape);
      return n === null ? 0 : resultBytes(v.type.dtype, n);
    });
    const largest = Math.max(0, ...staticBytes);
    if (largest > MAX_FOLD_BYTES) {
      node.docString = tooLargeNote(largest);
      continue;
    }
    if (computedMask(node, largest)) continue;
    let results;
    try {
      results = evaluateNode(node, node.inputs.map((v) => (v ? exact.get(v) ?? fromTensor(v.constant!) : null)), opset);
    } catch (e) {
      throw new Error(`folding node '${node.name}' (${node.qualifiedOp}): ${(e as Error).message}`, { cause: e });
    }
    // Shapes unknown before evaluation are checked after it.
    const bytes = Math.max(0, ...results.map((r, i) => resultBytes(node.outputs[i]!.type.dtype, r.dims.reduce((a, d) => a * d, 1))));
    if (bytes > MAX_FOLD_BYTES) {
      node.docString = tooLargeNote(bytes);
      continue;
    }
    if (computedMask(node, bytes)) continue;
    const inputs = node.inputs.filter((v): v is Value => v !== null);
    // Stored in the output's dtype only when read as such (most intermediates are read from their
    // float64 values by the next fold, then dropped, and never need a float32 copy).
    const stored = replaceWithConstants(graph, node, results.map((r, i) => {
      const dtype = node.outputs[i]!.type.dtype;
      return lazyTensor(dtype, r.dims, () => toTensor(r, dtype).data!);
    }));
    stored.forEach((c, i) => {
      // Past the limit on float64 copies, the stored dtype now (the closure would keep the copy).
      if (!exact.set(c, results[i]!)) void c.constant!.data;
    });
    dropUnread(graph, inputs, exact);
    changed = true;
  }
  // Types sharpen once values are known (a folded length makes Range and DFT sizes static).
  if (changed) for (const n of graph.nodes) inferNode(n, opset, { lenient: true });
  return changed;
}

/**
 * What nothing reads any more goes now, not at the end: a chain of large intermediates (a kernel,
 * its spectrum) would otherwise all be held at once, float64 copies included.
 */
function dropUnread(graph: Graph, inputs: readonly Value[], exact: ExactValues): void {
  for (const v of new Set(inputs)) {
    if (v.uses.length > 0) continue;
    exact.delete(v);
    if (graph.initializers.includes(v) && !graph.isOutput(v)) graph.removeInitializer(v);
  }
}

/** Ops whose result is their first input's elements in the same order, under another shape. */
const VIEW_OPS = new Set(['Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity']);

/**
 * A view op of a stored constant (a weight reshaped for a MatMul, a parameter unsqueezed for
 * broadcasting) folds to the same data under the output's static shape: O(1), where evaluating it
 * would copy the weight to float64 and back. A value this run folded in float64 takes the
 * evaluating path, so its chain stays in float64.
 */
function constantView(node: Node, exact: ExactValues): Tensor | null {
  if (node.domain !== ONNX_DOMAIN || !VIEW_OPS.has(node.op) || node.outputs.length !== 1) return null;
  const x = node.inputs[0], out = node.outputs[0]!;
  if (!x?.constant || exact.get(x) || out.type.dtype !== x.type.dtype) return null;
  const dims = out.type.shape;
  if (!dims || !dims.every((d): d is number => typeof d === 'number')) return null;
  const t = x.constant;
  if (staticSize(dims) !== staticSize(t.dims)) return null;
  return { dtype: t.dtype, dims, get data() { return t.data; }, ...(t.raw ? { raw: t.raw } : {}) };
}

/**
 * The float64 values of folded constants, so a chain is folded in float64 throughout. Bounded:
 * past EXACT_LIMIT_BYTES of live copies, later results are read back from their stored dtype.
 */
export const EXACT_LIMIT_BYTES = 4 * MAX_FOLD_BYTES;

class ExactValues {
  private readonly values = new Map<Value, RTensor>();
  private bytes = 0;

  get(v: Value): RTensor | undefined {
    return this.values.get(v);
  }

  /** Whether the copy is kept (false past the limit). */
  set(v: Value, t: RTensor): boolean {
    const b = t.data.byteLength;
    if (this.bytes + b > EXACT_LIMIT_BYTES) return false;
    this.delete(v);
    this.values.set(v, t);
    this.bytes += b;
    return true;
  }

  delete(v: Value): void {
    const t = this.values.get(v);
    if (!t) return;
    this.bytes -= t.data.byteLength;
    this.values.delete(v);
  }
}

/**
 * Shape arithmetic whose values shape inference already knows as numbers — Shape(x)[2] of an
 * input [batch, 4, 32] is 32 although `batch` is symbolic — becomes a constant.
 */
export function knownShapeValue(node: Node): Tensor | null {
  const out = node.outputs[0];
  if (node.domain !== ONNX_DOMAIN || node.outputs.length !== 1 || !out || out.type.dtype !== 'int64') return null;
  const vals = out.shapeValue;
  const dims = out.type.shape;
  if (!vals || !dims || dims.some((d) => typeof d !== 'number') || vals.some((v) => typeof v !== 'number')) return null;
  if (staticSize(dims) !== vals.length) return null;
  return i64(vals as number[], dims as number[]);
}

/**
 * The node's outputs become initializers named `<output>.folded`; a graph output keeps its public
 * name (the initializer takes it once the node, and with it the old value's name, is gone).
 */
function replaceWithConstants(graph: Graph, node: Node, tensors: Tensor[]): Value[] {
  const renames: [Value, string][] = [];
  const constants = node.outputs.map((out, i) => {
    const c = graph.addInitializer(`${out.name}.folded`, tensors[i]!);
    if (graph.isOutput(out)) renames.push([c, out.name]);
    graph.replaceAllUsesWith(out, c, true);
    return c;
  });
  graph.removeNode(node);
  for (const [c, name] of renames) graph.renameValue(c, name);
  return constants;
}

export const foldConstantsPass: Pass = {
  name: 'fold-constants',
  description: 'evaluate constant subgraphs in float64 and store them as initializers',
  run: (model, target) => changed(foldConstants(model.graph, target.opset)),
};
