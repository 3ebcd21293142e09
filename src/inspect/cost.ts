import type { Graph } from '../../ir/graph.js';
import { concreteInts } from '../../ir/infer/context.js';
import type { FunctionDef, Model } from '../../ir/model.js';
import type { Node } from '../../ir/node.js';
import type { Tensor } from '../../ir/tensor.js';
import { typeToString, type DType, type TensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { layerOfInitializer, layersOf, subgraphOwners } from './layers.js';
import { onnxOpFlops, shapeOf, ssmcOpFlops } from './op-flops.js';
import { elementCount, MAX_CALL_DEPTH, withCallTypes, withDims, type DimValues, type FunctionTypes } from './shapes.js';
import { qualifiedName, subgraphsOf } from './walk.js';

export interface OpCost {
  op: string;
  /** Executions, counting loop iterations. */
  count: number;
  /** Summed FLOPs of the executions whose FLOPs are known. */
  flops: number;
  /** Executions whose FLOPs could not be told (no rule, or a size still symbolic). */
  unknown: number;
  /** Bytes written to outputs (executions with known output sizes). */
  outputBytes: number;
}

export interface LayerCost {
  layer: string;
  nodes: number;
  flops: number;
  unknownNodes: number;
  /** Elements and bytes of the initializers named after this layer. */
  parameters: number;
  parameterBytes: number;
}

export interface MemoryEstimate {
  /** Initializers and Constant values, all graphs (external data counted by its dims). */
  weightBytes: number;
  inputBytes: number | null;
  outputBytes: number | null;
  /** Every intermediate tensor of the main graph at once (an upper bound, no reuse). */
  activationBytes: number;
  /**
   * Peak of the tensors alive at once when the main graph runs in node order, each freed after its
   * last use (graph inputs included, weights excluded): a lower bound a runtime's planner
   * approaches.
   */
  peakLiveBytes: number;
  /** Values of the main graph whose size stays unknown for these dims (counted as 0 above). */
  unknownSizes: number;
}

export interface CostEstimate {
  dims: Record<string, number>;
  /** Total FLOPs of the ops with known FLOPs; see `unknownOps` for what is left out. */
  flops: number;
  complete: boolean;
  byOp: OpCost[];
  byLayer: LayerCost[];
  unknownOps: { op: string; count: number }[];
  memory: MemoryEstimate;
  notes: string[];
}

const ITEM_BYTES: Partial<Record<DType, number>> = {
  float32: 4, float64: 8, float16: 2, bfloat16: 2, int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4,
  int64: 8, uint64: 8, complex64: 8, complex128: 16, float8e4m3fn: 1, float8e4m3fnuz: 1, float8e5m2: 1, float8e5m2fnuz: 1,
  int4: 0.5, uint4: 0.5, float4e2m1: 0.5,
};

/** Bytes of a tensor of this type for concrete dims, or null (symbolic dims, strings). */
export function typeBytes(t: TensorType): number | null {
  const n = elementCount(t.shape);
  const item = ITEM_BYTES[t.dtype];
  return n === null || item === undefined ? null : Math.ceil(n * item);
}

/** Floating-point (and complex) tensors are parameters; integer constants are shapes and indices. */
export function isParameterDtype(dtype: DType): boolean {
  return dtype.startsWith('float') || dtype.startsWith('complex') || dtype === 'bfloat16';
}

/** Bytes a constant tensor takes in memory (external data by its dims). */
export function tensorSize(t: Tensor): number {
  const item = ITEM_BYTES[t.dtype];
  const n = elementCount(t.dims);
  if (t.dtype === 'string' && Array.isArray(t.data)) return t.data.reduce((s, x) => s + x.length, 0);
  return item === undefined || n === null ? 0 : Math.ceil(n * item);
}


interface CallCost {
  flops: number;
  unknown: number;
  ops: Map<string, OpCost>;
  notes: Set<string>;
}

class CostWalker {
  readonly ops = new Map<string, OpCost>();
  readonly notes = new Set<string>();

  constructor(
    private readonly model: Model,
    private readonly functions: FunctionTypes,
    private readonly calls = new Map<string, CallCost>(),
    private readonly calling: ReadonlySet<FunctionDef> = new Set(),
  ) {}

  /** FLOPs of a graph run `times` times, recorded per op; null parts are recorded as unknown. */
  graph(g: Graph, times: number, depth: number): { flops: number; unknown: number } {
    let flops = 0, unknown = 0;
    for (const node of g.nodes) {
      const c = this.node(node, times, depth);
      flops += c.flops;
      unknown += c.unknown;
    }
    return { flops, unknown };
  }

  /** One node (with what it runs inside), `times` times. */
  node(node: Node, times: number, depth: number): { flops: number; unknown: number } {
    const onnx = node.domain === '' || node.domain === 'ai.onnx';
    if (onnx && node.op === 'If') return this.ifNode(node, times, depth);
    if (onnx && (node.op === 'Loop' || node.op === 'Scan')) {
      const trips = this.trips(node);
      const [, body] = subgraphsOf(node)[0] ?? [];
      if (!body) return this.leaf(node, null, times);
      if (trips === null) this.notes.add(`${node.op} '${node.name}': trip count unknown for these dims; its body is counted once`);
      const inner = this.graph(body, times * (trips ?? 1), depth);
      this.leaf(node, 0, times);
      return inner;
    }
    const fn = onnx ? undefined : this.model.findFunction(node.domain, node.op);
    if (fn && depth < MAX_CALL_DEPTH && !this.calling.has(fn)) {
      const inner = this.call(fn, node, depth);
      for (const e of inner.ops.values()) this.record(e.op, e.flops * times, e.unknown * times, e.count * times, e.outputBytes / Math.max(e.count, 1));
      for (const n of inner.notes) this.notes.add(n);
      this.record(qualifiedName(node.domain, node.op), 0, 0, times, outputBytes(node));
      return { flops: inner.flops * times, unknown: inner.unknown };
    }
    const flops = onnx ? onnxOpFlops(node, this.model.opset) : node.domain === 'ai.ssmc' ? ssmcOpFlops(node) : null;
    return this.leaf(node, flops, times);
  }

  /**
   * One call of a model-local function, costed through its body with the caller's argument types.
   * Results are shared per (function, argument types) — a file whose functions call each other
   * twice per level would otherwise cost 2^depth walks — and a function already being costed is
   * not entered again (a recursive file counts the inner call as unknown).
   */
  private call(fn: FunctionDef, node: Node, depth: number): CallCost {
    const argTypes = node.inputs.map((v) => v?.type ?? { dtype: 'float32' as const, shape: null });
    const key = `${fn.domain}.${fn.name}(${argTypes.map(typeToString).join(',')})`;
    const cached = this.calls.get(key);
    if (cached) return cached;
    const opset = this.functions.opsetOf(fn);
    const walker = new CostWalker(this.model, this.functions, this.calls, new Set([...this.calling, fn]));
    const c = withCallTypes(fn.body, opset, argTypes, () => walker.graph(fn.body, 1, depth + 1), this.functions);
    const result: CallCost = { ...c, ops: walker.ops, notes: walker.notes };
    this.calls.set(key, result);
    return result;
  }

  private leaf(node: Node, flops: number | null, times: number): { flops: number; unknown: number } {
    const known = flops === null || !Number.isFinite(flops) ? null : flops;
    this.record(node.qualifiedOp, (known ?? 0) * times, known === null ? times : 0, times, outputBytes(node));
    return { flops: (known ?? 0) * times, unknown: known === null ? 1 : 0 };
  }

  private record(op: string, flops: number, unknown: number, times: number, bytes: number | null): void {
    const e = this.ops.get(op) ?? { op, count: 0, flops: 0, unknown: 0, outputBytes: 0 };
    e.count += times;
    e.flops += flops;
    e.unknown += unknown;
    e.outputBytes += (bytes ?? 0) * times;
    this.ops.set(op, e);
  }

  /** An If runs one branch: count the costlier one (an upper bound). */
  private ifNode(node: Node, times: number, depth: number): { flops: number; unknown: number } {
    this.leaf(node, 0, times);
    let best: { flops: number; unknown: number; walker: CostWalker } | null = null;
    for (const [, g] of subgraphsOf(node)) {
      const walker = new CostWalker(this.model, this.functions, this.calls, this.calling);
      const c = walker.graph(g, times, depth);
      if (!best || c.flops > best.flops) best = { ...c, walker };
    }
    if (!best) return { flops: 0, unknown: 0 };
    for (const e of best.walker.ops.values()) this.record(e.op, e.flops, e.unknown, e.count, e.outputBytes / Math.max(e.count, 1));
    for (const n of best.walker.notes) this.notes.add(n);
    return { flops: best.flops, unknown: best.unknown };
  }

  /** Iterations of a Loop (its constant trip count M) or a Scan (the scan axis of its first scan input). */
  private trips(node: Node): number | null {
    if (node.op === 'Loop') {
      const m = node.inputs[0] ? concreteInts(node.inputs[0]) : null;
      return m && m.length === 1 && m[0]! >= 0 ? m[0]! : null;
    }
    const nScan = node.attrs.get('num_scan_inputs');
    if (nScan?.kind !== 'int') return null;
    const first = node.inputs[node.inputs.length - nScan.value];
    const axes = node.attrs.get('scan_input_axes');
    const axis = axes?.kind === 'ints' ? axes.value[0] ?? 0 : 0;
    const s = shapeOf(first);
    if (!s) return null;
    const d = s[axis < 0 ? axis + s.length : axis];
    return typeof d === 'number' ? d : null;
  }
}

function outputBytes(node: Node): number | null {
  let sum = 0;
  for (const v of node.outputs) {
    const b = typeBytes(v.type);
    if (b === null) return null;
    sum += b;
  }
  return sum;
}

/** The main-graph values a node reads, also from inside its subgraphs. */
function valuesRead(node: Node, into: Set<Value>): Set<Value> {
  for (const v of node.inputs) if (v) into.add(v);
  for (const [, g] of subgraphsOf(node)) for (const n of g.nodes) valuesRead(n, into);
  return into;
}

function memory(model: Model): MemoryEstimate {
  const g = model.graph;
  let weightBytes = 0;
  const countWeights = (graph: Graph) => {
    for (const v of graph.initializers) weightBytes += tensorSize(v.constant!);
    for (const n of graph.nodes) {
      for (const a of n.attrs.values()) if (n.op === 'Constant' && a.kind === 'tensor') weightBytes += tensorSize(a.value);
      for (const [, sub] of subgraphsOf(n)) countWeights(sub);
    }
  };
  countWeights(g);
  const sumBytes = (vs: Value[]) => vs.reduce<number | null>((s, v) => (s === null ? null : typeBytes(v.type) === null ? null : s + typeBytes(v.type)!), 0);
  const lastUse = new Map<Value, number>();
  const reads = g.nodes.map((n, i) => {
    const r = valuesRead(n, new Set());
    for (const v of r) lastUse.set(v, i);
    return r;
  });
  const outputs = new Set(g.outputs);
  const live = new Map<Value, number>();
  let unknownSizes = 0, activationBytes = 0;
  const size = (v: Value) => {
    const b = typeBytes(v.type);
    if (b === null) unknownSizes++;
    return b ?? 0;
  };
  for (const v of g.inputs) live.set(v, size(v));
  let liveBytes = [...live.values()].reduce((a, b) => a + b, 0);
  let peakLiveBytes = liveBytes;
  g.nodes.forEach((node, i) => {
    if (node.op === 'Constant') return; // a weight, counted above
    for (const v of node.outputs) {
      const b = size(v);
      activationBytes += b;
      live.set(v, b);
      liveBytes += b;
    }
    peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
    for (const v of [...reads[i]!, ...node.outputs]) {
      if (!live.has(v) || outputs.has(v) || (lastUse.get(v) ?? -1) > i) continue;
      liveBytes -= live.get(v)!;
      live.delete(v);
    }
  });
  return { weightBytes, inputBytes: sumBytes(g.inputs), outputBytes: sumBytes(g.outputs), activationBytes, peakLiveBytes, unknownSizes };
}

function layerCosts(model: Model, perNode: Map<Node, { flops: number; unknown: number }>): LayerCost[] {
  const layers = new Map<string, LayerCost>();
  const entry = (layer: string) => {
    let e = layers.get(layer);
    if (!e) layers.set(layer, (e = { layer, nodes: 0, flops: 0, unknownNodes: 0, parameters: 0, parameterBytes: 0 }));
    return e;
  };
  const byNode = layersOf(model);
  for (const [node, layer] of byNode) {
    const e = entry(layer);
    const c = perNode.get(node)!;
    e.nodes++;
    e.flops += c.flops;
    e.unknownNodes += c.unknown > 0 ? 1 : 0;
  }
  const owners = subgraphOwners(model.graph);
  for (const v of model.graph.initializers) {
    const e = entry(layerOfInitializer(v, byNode, owners));
    if (isParameterDtype(v.constant!.dtype)) e.parameters += elementCount(v.constant!.dims) ?? 0;
    e.parameterBytes += tensorSize(v.constant!);
  }
  return [...layers.values()];
}

/**
 * FLOPs of each main-graph node for one run with these dim values (a Loop's or Scan's body times its
 * trips, a function call through its body); `unknown` counts the executions whose FLOPs could not
 * be told.
 */
export function estimateNodeFlops(model: Model, dims: DimValues): Map<Node, { flops: number; unknown: number }> {
  return withDims(model, dims, (functions) => {
    const walker = new CostWalker(model, functions);
    return new Map(model.graph.nodes.map((node) => [node, walker.node(node, 1, 0)]));
  });
}

/** FLOPs and memory of one run of the model with these dim values (symbols without a value stay unknown). */
export function estimateCost(model: Model, dims: DimValues): CostEstimate {
  return withDims(model, dims, (functions) => {
    const walker = new CostWalker(model, functions);
    const perNode = new Map<Node, { flops: number; unknown: number }>();
    let flops = 0;
    for (const node of model.graph.nodes) {
      const c = walker.node(node, 1, 0);
      perNode.set(node, c);
      flops += c.flops;
    }
    const byOp = [...walker.ops.values()].sort((a, b) => b.flops - a.flops || b.count - a.count || a.op.localeCompare(b.op));
    const unknownOps = byOp.filter((e) => e.unknown > 0).map((e) => ({ op: e.op, count: e.unknown }));
    return {
      dims: { ...dims },
      flops,
      complete: unknownOps.length === 0,
      byOp,
      byLayer: layerCosts(model, perNode),
      unknownOps,
      memory: memory(model),
      notes: [...walker.notes],
    };
  });
}
