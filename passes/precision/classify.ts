import type { Graph } from '../../ir/graph.js';
import { COMPLEX_ORIGIN, ONNX_DOMAIN, type Node } from '../../ir/node.js';
import type { Value } from '../../ir/value.js';

/**
 * What a node of a lowered graph computes, as far as its numbers go: the classes the precision
 * policy (policy.ts) decides storage and compute for.
 *  - dense: the model's own feature maps — linear layers, activations, gates, embeddings, skips.
 *  - normalization: reductions over features (LayerNormalization, Softmax, ReduceMean, …).
 *  - long-conv: a long convolution's lowering (DFT, four-step MatMuls, chunked state passing, Conv).
 *  - kernel: what the kernel is made of at run time (a dynamic length): positions, exp(λ·l),
 *    Cauchy sums — everything that reads no graph input's values.
 *  - ssm: the rest of the SSM math (a step's readout, complex arithmetic the model built).
 *  - recurrence: a state's update, from state.<layer> to state_out.<layer> (step graphs), and
 *    what only a final state needs (prefill graphs).
 *  - movement: data movement (Transpose, Reshape, …), which computes nothing: it takes the dtype
 *    of what it moves.
 */
export type NumericClass = 'dense' | 'normalization' | 'long-conv' | 'kernel' | 'ssm' | 'recurrence' | 'movement';
export const NUMERIC_CLASSES: readonly NumericClass[] = ['dense', 'normalization', 'long-conv', 'kernel', 'ssm', 'recurrence', 'movement'];

/** A step graph's state (input and output), or a prefill graph's (output only). */
export interface RecurrentState {
  input: string | null;
  output: string;
}

/** The high-level ops whose lowering is a long convolution (the LongConv node, in any kernel form, or its outlined body). */
const LONG_CONV_ORIGINS = new Set(['ai.ssmc.LongConv', 'ai.ssmc.LongConvBidirectional', 'ai.ssmc.DiagSSMConv', 'ai.ssmc.DiagSSMConvBidirectional', 'ai.ssmc.DenseSSMConv']);
/** The high-level ops that make a kernel (or its discretised parameters). */
const KERNEL_ORIGINS = new Set(['ai.ssmc.Vandermonde', 'ai.ssmc.Discretize']);

/** Reductions over features: their sums are where 16-bit accumulation would lose digits. */
export const NORMALIZATION_OPS = new Set([
  'LayerNormalization', 'GroupNormalization', 'InstanceNormalization', 'BatchNormalization', 'Softmax', 'LogSoftmax',
  'ReduceMean', 'ReduceSum', 'ReduceSumSquare', 'ReduceL2', 'ReduceLogSumExp', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'CumSum',
]);

/** Ops that move or select elements without computing new values. */
export const MOVEMENT_OPS = new Set([
  'Identity', 'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Slice', 'Gather', 'GatherElements', 'GatherND',
  'Concat', 'Split', 'Expand', 'Tile', 'Pad',
]);

/** Ops whose outputs say only how big a value is, not what it holds. */
const SHAPE_OF = new Set(['Shape', 'Size']);

/** The subgraphs a node carries (Scan, Loop and If bodies). */
export function subgraphsOf(node: Node): Graph[] {
  const out: Graph[] = [];
  for (const a of node.attrs.values()) {
    if (a.kind === 'graph') out.push(a.value);
    else if (a.kind === 'graphs') out.push(...a.value);
  }
  return out;
}

/** Values of enclosing graphs that a node's subgraphs read (at any depth). */
export function outerReads(node: Node): Value[] {
  const found = new Set<Value>();
  const visit = (g: Graph, defined: Set<Value>) => {
    const inner = new Set(defined);
    for (const v of g.values()) inner.add(v);
    for (const n of g.nodes) {
      for (const v of n.inputs) if (v && !inner.has(v)) found.add(v);
      for (const s of subgraphsOf(n)) visit(s, inner);
    }
  };
  for (const g of subgraphsOf(node)) visit(g, new Set());
  return [...found];
}

/** Everything a node reads: its inputs and what its subgraphs read from outside. */
function operands(node: Node): Value[] {
  const ins = node.inputs.filter((v): v is Value => v !== null);
  return subgraphsOf(node).length > 0 ? [...ins, ...outerReads(node)] : ins;
}

/** The nodes of `graph` that read, directly or through other nodes, one of `sources` (Shape/Size cut the chain). */
function readersOf(graph: Graph, sources: Iterable<Value>): Set<Node> {
  const reached = new Set<Value>(sources);
  const nodes = new Set<Node>();
  for (const node of graph.nodes) {
    if (!operands(node).some((v) => reached.has(v))) continue;
    nodes.add(node);
    if (!SHAPE_OF.has(node.op)) for (const v of node.outputs) reached.add(v);
  }
  return nodes;
}

/** The nodes of `graph` that `targets` depend on. */
function producersOf(graph: Graph, targets: Iterable<Value>): Set<Node> {
  const needed = new Set<Value>(targets);
  const nodes = new Set<Node>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!node.outputs.some((v) => needed.has(v))) continue;
    nodes.add(node);
    for (const v of operands(node)) needed.add(v);
  }
  return nodes;
}

/**
 * The recurrence of each state: the nodes on a path from `state.<layer>` to `state_out.<layer>`
 * (one layer's update, not the layers after it, which read the state's output too), and in a
 * prefill graph the nodes that only final states need.
 */
function recurrenceNodes(graph: Graph, states: readonly RecurrentState[]): Set<Node> {
  const out = new Set<Node>();
  const byName = (vs: Value[], name: string | null) => (name === null ? undefined : vs.find((v) => v.name === name));
  const stateOutputs = new Set<Value>();
  for (const s of states) {
    const output = byName(graph.outputs, s.output);
    if (!output) continue;
    stateOutputs.add(output);
    const input = byName(graph.inputs, s.input);
    if (!input) continue;
    const ahead = readersOf(graph, [input]);
    for (const n of producersOf(graph, [output])) if (ahead.has(n)) out.add(n);
  }
  if (stateOutputs.size > 0) {
    const forOutputs = producersOf(graph, graph.outputs.filter((v) => !stateOutputs.has(v)));
    for (const n of producersOf(graph, stateOutputs)) if (!forOutputs.has(n)) out.add(n);
  }
  return out;
}

/** The class of every node of `graph` (its nested bodies belong to their node). */
export function classifyNodes(graph: Graph, states: readonly RecurrentState[] = []): Map<Node, NumericClass> {
  const recurrence = recurrenceNodes(graph, states);
  const readsInputs = readersOf(graph, graph.inputs);
  const classes = new Map<Node, NumericClass>();
  for (const node of graph.nodes) classes.set(node, classify(node, recurrence, readsInputs));
  return classes;
}

function classify(node: Node, recurrence: Set<Node>, readsInputs: Set<Node>): NumericClass {
  if (recurrence.has(node)) return 'recurrence';
  const origin = node.origin;
  if (origin !== null) {
    if (LONG_CONV_ORIGINS.has(origin)) return 'long-conv';
    if (KERNEL_ORIGINS.has(origin)) return 'kernel';
    if (origin === COMPLEX_ORIGIN || origin.startsWith('ai.ssmc.')) return readsInputs.has(node) ? 'ssm' : 'kernel';
  }
  // A call of an outlined high-level op (--custom-ops) is that op.
  if (node.domain !== ONNX_DOMAIN && node.domain !== 'ai.onnx') {
    const op = `ai.ssmc.${node.op.replace(/_\d+$/, '')}`;
    if (LONG_CONV_ORIGINS.has(op)) return 'long-conv';
    return KERNEL_ORIGINS.has(op) || !readsInputs.has(node) ? 'kernel' : 'ssm';
  }
  if (!readsInputs.has(node)) return 'kernel';
  if (NORMALIZATION_OPS.has(node.op)) return 'normalization';
  if (MOVEMENT_OPS.has(node.op)) return 'movement';
  return 'dense';
}
