import type { Graph } from '../graph.js';
import type { FunctionDef, Model } from '../model.js';
import type { Node } from '../node.js';
import type { Value } from '../value.js';
import type { KernelContext } from './kernel.js';
import { KERNELS } from './registry.js';
import { fromTensor, type RTensor } from './rtensor.js';
import { castTo } from './ops/cast.js';

export interface EvalOptions {
  opset: number;
  functions?: readonly FunctionDef[];
  /**
   * Round every op's float results to their dtype (float32, float16, bfloat16), as a device that
   * computes each op exactly and stores its result in the graph's types would: the oracle of a
   * graph that computes in float16. Off (the default), only Cast and stored constants round.
   */
  roundResults?: boolean;
}

/** What evaluateModel may be asked beyond its feeds. */
export type ModelEvalOptions = Pick<EvalOptions, 'roundResults'>;

type Env = Map<Value, RTensor>;

/** Run a whole model on named feeds; returns every graph output by name. */
export function evaluateModel(model: Model, feeds: Map<string, RTensor> | Record<string, RTensor>, opts: ModelEvalOptions = {}): Map<string, RTensor> {
  return evaluateGraph(model.graph, feeds, { opset: model.opset, functions: model.functions, ...opts });
}

export function evaluateGraph(graph: Graph, feeds: Map<string, RTensor> | Record<string, RTensor>, opts: EvalOptions): Map<string, RTensor> {
  const byName = feeds instanceof Map ? feeds : new Map(Object.entries(feeds));
  const env: Env = new Map();
  for (const v of graph.inputs) {
    const t = byName.get(v.name);
    if (!t) throw new Error(`no value fed for graph input '${v.name}'`);
    env.set(v, t);
  }
  const outs = runGraph(graph, env, opts);
  return new Map(graph.outputs.map((v, i) => [v.name, outs[i]!]));
}

/** Evaluate nodes in order in `env` (which already holds inputs and outer-scope values). */
function runGraph(graph: Graph, env: Env, opts: EvalOptions): RTensor[] {
  for (const v of graph.initializers) env.set(v, fromTensor(v.constant!));
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((v) => {
      if (!v) return null;
      const t = env.get(v) ?? (v.constant ? fromTensor(v.constant) : undefined);
      if (!t) throw new Error(`node '${node.name}' (${node.qualifiedOp}): input '${v.name}' has no value`);
      return t;
    });
    const results = evaluateNodeIn(node, inputs, env, opts);
    if (opts.roundResults) for (const r of results) roundToDtype(r);
    node.outputs.forEach((v, i) => env.set(v, results[i]!));
  }
  return graph.outputs.map((v) => {
    const t = env.get(v);
    if (!t) throw new Error(`graph output '${v.name}' was not computed`);
    return t;
  });
}

/** One node on given inputs (used by constant folding). */
export function evaluateNode(node: Node, inputs: (RTensor | null)[], opset: number): RTensor[] {
  return evaluateNodeIn(node, inputs, new Map(), { opset });
}

function evaluateNodeIn(node: Node, inputs: (RTensor | null)[], env: Env, opts: EvalOptions): RTensor[] {
  const fn = opts.functions?.find((f) => f.domain === node.domain && f.name === node.op);
  if (fn) return callFunction(fn, node, inputs, opts);
  const kernel = KERNELS.find(node.domain, node.op, opts.opset);
  if (!kernel) {
    throw new Error(`node '${node.name}': the reference interpreter has no kernel for ${node.qualifiedOp} at opset ${opts.opset}; it has: ${KERNELS.available(node.domain).join(', ')}`);
  }
  const ctx: KernelContext = {
    opset: opts.opset,
    runSubgraph: (g, ins) => {
      const sub: Env = new Map(env);
      g.inputs.forEach((v, i) => sub.set(v, ins[i]!));
      return runGraph(g, sub, opts);
    },
  };
  return kernel(inputs, node, ctx);
}

/** A model-local function runs its body; attribute references resolve to the caller's attributes. */
function callFunction(fn: FunctionDef, caller: Node, inputs: (RTensor | null)[], opts: EvalOptions): RTensor[] {
  const env: Env = new Map();
  fn.body.inputs.forEach((v, i) => {
    const t = inputs[i];
    if (t) env.set(v, t);
  });
  const saved: [Node, Map<string, import('../attr.js').Attr>][] = [];
  for (const n of fn.body.nodes) {
    const refs = [...n.attrs.entries()].filter(([, a]) => a.kind === 'ref');
    if (refs.length === 0) continue;
    saved.push([n, new Map(n.attrs)]);
    for (const [name, a] of refs) {
      if (a.kind !== 'ref') continue;
      const actual = caller.attrs.get(a.refName);
      if (actual) n.attrs.set(name, actual);
      else n.attrs.delete(name);
    }
  }
  try {
    return runGraph(fn.body, env, { ...opts, opset: fn.opsetImports.get('') ?? opts.opset });
  } finally {
    for (const [n, attrs] of saved) {
      n.attrs.clear();
      for (const [k, v] of attrs) n.attrs.set(k, v);
    }
  }
}

const ROUNDED = new Set(['float32', 'float16', 'bfloat16']);

/** A result's values rounded to its dtype, in place (float64 and integer results are left alone). */
function roundToDtype(r: RTensor | null | undefined): void {
  if (!r || !ROUNDED.has(r.dtype)) return;
  const f = castTo(r.dtype);
  for (let i = 0; i < r.data.length; i++) r.data[i] = f(r.data[i]!);
}
