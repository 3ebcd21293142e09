import type { Graph } from '../../ir/graph.js';
import { inferNode } from '../../ir/infer/index.js';
import type { FunctionDef, Model } from '../../ir/model.js';
import { tensorType, typeToString, type Dim, type TensorType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { concreteInts } from '../../ir/infer/context.js';
import type { Node } from '../../ir/node.js';
import { allGraphs, subgraphsOf } from './walk.js';

/** Values for symbolic dims, e.g. { L: 4096, batch: 1 }. */
export type DimValues = Readonly<Record<string, number>>;

/** Replace the symbolic dims that have a value. */
export function substitute(t: TensorType, dims: DimValues): TensorType {
  if (t.shape === null) return t;
  return tensorType(t.dtype, t.shape.map((d) => (typeof d === 'string' && Object.hasOwn(dims, d) ? dims[d]! : d)));
}

/**
 * Merge what inference says with what the file (or the earlier inference) recorded: fixed sizes win
 * over symbols, symbols over unknowns; when the ranks disagree the recorded type wins, since an
 * imported model's own declarations are the better guess for ops we only partly understand.
 */
export function mergeTypes(inferred: TensorType, recorded: TensorType): TensorType {
  if (inferred.shape === null) return tensorType(inferred.dtype, recorded.shape);
  if (recorded.shape === null) return inferred;
  if (inferred.shape.length !== recorded.shape.length) return recorded;
  const pick = (a: Dim, b: Dim): Dim => (typeof a === 'number' ? a : typeof b === 'number' ? b : a ?? b);
  return tensorType(inferred.dtype, inferred.shape.map((d, i) => pick(d, recorded.shape![i]!)));
}

interface Saved {
  type: TensorType;
  shapeValue: Value['shapeValue'];
}

function snapshot(graphs: Iterable<Graph>): Map<Value, Saved> {
  const saved = new Map<Value, Saved>();
  for (const g of graphs) for (const v of g.values()) saved.set(v, { type: v.type, shapeValue: v.shapeValue });
  return saved;
}

function restore(saved: Map<Value, Saved>): void {
  for (const [v, s] of saved) {
    v.type = s.type;
    v.shapeValue = s.shapeValue;
  }
}

/** Graphs nested in `g` (subgraph attributes, recursively), `g` included. */
function nestedGraphs(g: Graph): Graph[] {
  const out = [g];
  for (let i = 0; i < out.length; i++) for (const n of out[i]!.nodes) for (const [, sub] of subgraphsOf(n)) out.push(sub);
  return out;
}

/**
 * Output types of calls of model-local functions, found by running inference through the body with
 * the call's argument types: a chain of calls keeps its shapes. Shared per (function, argument
 * types), and a function already being entered is not entered again (a recursive file).
 */
export class FunctionTypes {
  private readonly cache = new Map<string, TensorType[] | null>();
  private readonly calling = new Set<FunctionDef>();

  constructor(private readonly model: Model) {}

  outputTypes(node: Node): TensorType[] | null {
    if (node.domain === '' || node.domain === 'ai.onnx') return null;
    const fn = this.model.findFunction(node.domain, node.op);
    if (!fn || this.calling.has(fn) || this.calling.size >= MAX_CALL_DEPTH) return null;
    const argTypes = node.inputs.map((v) => v?.type ?? tensorType('float32', null));
    const key = `${fn.domain}.${fn.name}(${argTypes.map(typeToString).join(',')})`;
    if (this.cache.has(key)) return this.cache.get(key)!;
    this.calling.add(fn);
    try {
      const out = withCallTypes(fn.body, this.opsetOf(fn), argTypes, () => fn.body.outputs.map((v) => v.type), this);
      this.cache.set(key, out);
      return out;
    } finally {
      this.calling.delete(fn);
    }
  }

  opsetOf(fn: FunctionDef): number {
    return fn.opsetImports.get('') ?? this.model.opset;
  }
}

/** Calls of model-local functions nest at most this deep (as subgraphs do in the reader). */
export const MAX_CALL_DEPTH = 64;

/**
 * Re-run shape inference over a graph with inputs of the given types (or its own, with `dims`
 * substituted), so sizes that follow a symbolic dim become numbers. Inference that fails on a node
 * keeps the node's recorded types: inspection must work on models we cannot fully type.
 */
function propagate(g: Graph, opset: number, dims: DimValues, functions: FunctionTypes | null, inputTypes?: readonly TensorType[]): void {
  g.inputs.forEach((v, i) => (v.type = inputTypes?.[i] ?? substitute(v.type, dims)));
  for (const node of g.nodes) {
    const recorded = node.outputs.map((v) => substitute(v.type, dims));
    node.outputs.forEach((v, k) => (v.type = recorded[k]!));
    try {
      inferNode(node, opset, { lenient: true });
    } catch {
      // keep the recorded types
    }
    node.outputs.forEach((v, k) => (v.type = mergeTypes(v.type, recorded[k]!)));
    const called = functions?.outputTypes(node);
    if (called) node.outputs.forEach((v, k) => (v.type = called[k] ? mergeTypes(called[k]!, v.type) : v.type));
    foldShapeArithmetic(node);
    for (const [, sub] of subgraphsOf(node)) propagate(sub, opset, dims, functions);
  }
}

/**
 * Run `fn` while the model's main graph and its subgraphs carry the types they have for these dim
 * values; every type is put back afterwards (the model is shared with the caller). `fn` gets the
 * function-call typer to cost calls with.
 */
export function withDims<T>(model: Model, dims: DimValues, fn: (functions: FunctionTypes) => T): T {
  const saved = snapshot(allGraphs(model).filter((s) => s.kind !== 'function').map((s) => s.graph));
  const functions = new FunctionTypes(model);
  try {
    propagate(model.graph, model.opset, dims, functions);
    return fn(functions);
  } finally {
    restore(saved);
  }
}

/**
 * Run `fn` while a function body carries the types of one call: its formal inputs take the
 * caller's argument types. Types are put back afterwards.
 */
export function withCallTypes<T>(body: Graph, opset: number, argTypes: readonly TensorType[], fn: () => T, functions: FunctionTypes | null = null): T {
  const saved = snapshot(nestedGraphs(body));
  try {
    propagate(body, opset, {}, functions, argTypes);
    return fn();
  } finally {
    restore(saved);
  }
}

/** Every symbolic dim name used by a type in the model (main graph, subgraphs and functions). */
export function symbolicDims(model: Model): string[] {
  const names = new Set<string>();
  for (const site of allGraphs(model)) {
    for (const v of site.graph.values()) for (const d of v.type.shape ?? []) if (typeof d === 'string') names.add(d);
  }
  return [...names].sort();
}

/** Elements of a shape when every dim is a number, else null. */
export { staticSize as elementCount } from '../../ir/types.js';

/** Integer arithmetic on small shape tensors, per element (b broadcast when it has one element). */
const INT_OPS: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  // ONNX integer Div truncates toward zero; Mod (fmod = 0) takes the divisor's sign, like Python.
  Div: (a, b) => (b === 0 ? NaN : Math.trunc(a / b)),
  Mod: (a, b) => (b === 0 ? NaN : ((a % b) + b) % b),
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
};

const MAX_FOLDED = 64;

/**
 * With concrete dims, the shape arithmetic of dynamic-length graphs (Shape → Gather → Mod → Sub →
 * Concat → Reshape) has concrete values; inference tracks Shape, Gather and Concat but not the
 * arithmetic, so compute it here to let the Reshape/Pad/Slice after it get concrete shapes.
 */
function foldShapeArithmetic(node: Node): void {
  const out = node.outputs[0];
  if (!out || out.shapeValue || (node.domain !== '' && node.domain !== 'ai.onnx')) return;
  if (out.type.dtype !== 'int64' && out.type.dtype !== 'int32') return;
  const args = node.inputs.map((v) => (v ? concreteInts(v) : null));
  if (args.length === 0 || args.some((a) => a === null || a.length === 0 || a.length > MAX_FOLDED)) return;
  const ints = args as number[][];
  let result: number[] | null = null;
  const f = INT_OPS[node.op];
  if (f && ints.length === 2) {
    const [a, b] = ints as [number[], number[]];
    const n = Math.max(a.length, b.length);
    if ((a.length === n || a.length === 1) && (b.length === n || b.length === 1)) {
      result = Array.from({ length: n }, (_, i) => f(a[a.length === 1 ? 0 : i]!, b[b.length === 1 ? 0 : i]!));
    }
  } else if (node.op === 'Neg' && ints.length === 1) result = ints[0]!.map((x) => -x);
  else if (node.op === 'ReduceProd' && ints.length === 1) result = [ints[0]!.reduce((p, x) => p * x, 1)];
  else if (node.op === 'ReduceSum' && ints.length === 1) result = [ints[0]!.reduce((p, x) => p + x, 0)];
  if (result && result.every((x) => Number.isSafeInteger(x))) out.shapeValue = result;
}
