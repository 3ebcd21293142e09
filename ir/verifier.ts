import type { Graph } from './graph.js';
import { inferNode } from './infer/index.js';
import type { Model } from './model.js';
import { ONNX_DOMAIN } from './node.js';
import { opsetViolation } from './opsets.js';
import { typesConflict, typeToString } from './types.js';
import type { Value } from './value.js';

export class VerifyError extends Error {
  constructor(readonly problems: string[]) {
    super(`IR verification failed:\n  ${problems.join('\n  ')}`);
    this.name = 'VerifyError';
  }
}

export interface VerifyOptions {
  /** Reject complex64 values (true after lower-complex: onnxruntime has no complex arithmetic). */
  noComplex?: boolean;
  /** Reject ops of domains the model does not import. */
  checkOpsets?: boolean;
}

/**
 * Checks the IR invariants every pass must keep: each value defined before use (topological
 * order), use lists matching node inputs, output types agreeing with shape inference, unique
 * names, and every domain imported. Throws VerifyError listing all problems.
 */
export function verifyModel(model: Model, opts: VerifyOptions = { checkOpsets: true }): void {
  const problems: string[] = [];
  verifyGraph(model.graph, model, new Set(), problems, opts);
  for (const f of model.functions) {
    verifyGraph(f.body, model, new Set(), problems, { ...opts, checkOpsets: false }, true);
  }
  if (problems.length) throw new VerifyError(problems);
}

function verifyGraph(graph: Graph, model: Model, outer: Set<Value>, problems: string[], opts: VerifyOptions, isFunction = false): void {
  const defined = new Set<Value>(outer);
  const names = new Set<string>();
  const define = (v: Value, where: string) => {
    if (names.has(v.name)) problems.push(`${where}: name '${v.name}' is defined twice`);
    names.add(v.name);
    defined.add(v);
  };
  for (const v of graph.inputs) define(v, `graph '${graph.name}' input`);
  for (const v of graph.initializers) {
    define(v, `graph '${graph.name}' initializer`);
    if (!v.constant) problems.push(`initializer '${v.name}' has no data`);
  }
  for (const node of graph.nodes) {
    const where = `node '${node.name}' (${node.qualifiedOp})`;
    if (node.graph !== graph) problems.push(`${where}: belongs to another graph`);
    node.inputs.forEach((v, i) => {
      if (!v) return;
      if (!defined.has(v)) problems.push(`${where}: input ${i} '%${v.name}' is used before it is defined`);
      if (!v.uses.some((u) => u.node === node && u.index === i)) problems.push(`${where}: input ${i} '%${v.name}' misses its use entry`);
    });
    if (opts.checkOpsets !== false && !isFunction) {
      const domain = node.domain === 'ai.onnx' ? ONNX_DOMAIN : node.domain;
      if (!model.opsetImports.has(domain)) problems.push(`${where}: domain '${domain || 'ai.onnx'}' is not imported by the model`);
      const tooNew = domain === ONNX_DOMAIN ? opsetViolation(node.op, model.opset) : null;
      if (tooNew) problems.push(`${where}: ${tooNew}`);
    }
    for (const a of node.attrs.values()) {
      if (a.kind === 'graph') verifyGraph(a.value, model, defined, problems, opts, isFunction);
      if (a.kind === 'graphs') for (const g of a.value) verifyGraph(g, model, defined, problems, opts, isFunction);
    }
    if (!isFunction) checkTypes(node, model.opset, where, problems);
    for (const out of node.outputs) {
      define(out, where);
      if (out.producer !== node) problems.push(`${where}: output '%${out.name}' does not point back to its producer`);
      for (const u of out.uses) {
        if (u.node.inputs[u.index] !== out) problems.push(`value '%${out.name}': stale use entry on '${u.node.name}' slot ${u.index}`);
      }
      if (opts.noComplex && out.type.dtype === 'complex64') problems.push(`${where}: complex value '%${out.name}' remains after lower-complex`);
    }
  }
  for (const v of graph.outputs) if (!defined.has(v)) problems.push(`graph '${graph.name}' output '%${v.name}' is not defined`);
}

/** Re-runs inference and compares with the recorded types; the recorded types are left as they were. */
function checkTypes(node: import('./node.js').Node, opset: number, where: string, problems: string[]): void {
  const before = node.outputs.map((v) => v.type);
  const shapeValues = node.outputs.map((v) => v.shapeValue);
  try {
    inferNode(node, opset, { lenient: true });
    node.outputs.forEach((v, i) => {
      if (typesConflict(before[i]!, v.type)) {
        problems.push(`${where}: output '%${v.name}' is typed ${typeToString(before[i]!)} but its inputs give ${typeToString(v.type)}`);
      }
    });
  } catch (e) {
    problems.push(`${where}: ${(e as Error).message}`);
  } finally {
    node.outputs.forEach((v, i) => {
      v.type = before[i]!;
      v.shapeValue = shapeValues[i]!;
    });
  }
}
