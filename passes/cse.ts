import type { Attr } from '../ir/attr.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import type { Pass } from './pass.js';

/** A content key for constant data: dtype, dims and every value. */
function tensorKey(t: Tensor): string {
  if (t.external) return `ext:${t.external.location}:${t.external.offset}`;
  const data = t.raw ?? t.data;
  let body: string;
  if (data === null) body = '';
  else if (Array.isArray(data)) body = JSON.stringify(data);
  else {
    const view = data as ArrayLike<number | bigint> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
    body = Buffer.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)).toString('base64');
  }
  return `${t.dtype}[${t.dims.join(',')}]:${body}`;
}

function attrKey(a: Attr): string {
  switch (a.kind) {
    case 'tensor': return `t:${tensorKey(a.value)}`;
    case 'tensors': return `ts:${a.value.map(tensorKey).join('|')}`;
    case 'graph':
    case 'graphs': return `g:${Math.random()}`; // subgraphs are never merged
    default: return JSON.stringify(a);
  }
}

function nodeKey(n: Node, ids: Map<Value, number>): string {
  const attrs = [...n.attrs.keys()].sort().map((k) => `${k}=${attrKey(n.attrs.get(k)!)}`);
  const ins = n.inputs.map((v) => (v ? ids.get(v) ?? `?${v.name}` : '_'));
  return `${n.domain}|${n.op}|${n.outputs.length}|${ins.join(',')}|${attrs.join(';')}`;
}

/**
 * Merge identical constants and identical nodes (same op, attributes and inputs), keeping the
 * first in graph order so the result is deterministic.
 */
export function eliminateCommonSubexpressions(graph: Graph): boolean {
  let changed = false;
  const ids = new Map<Value, number>();
  let next = 0;
  const id = (v: Value) => {
    if (!ids.has(v)) ids.set(v, next++);
    return ids.get(v)!;
  };
  const constants = new Map<string, Value>();
  for (const v of [...graph.initializers]) {
    const key = tensorKey(v.constant!);
    const first = constants.get(key);
    if (first && !graph.isOutput(v)) {
      graph.replaceAllUsesWith(v, first);
      graph.removeInitializer(v);
      changed = true;
    } else if (!first) {
      constants.set(key, v);
      id(v);
    }
  }
  for (const v of graph.inputs) id(v);
  const seen = new Map<string, Node>();
  for (const node of [...graph.nodes]) {
    const key = nodeKey(node, ids);
    const first = seen.get(key);
    if (first && node.outputs.every((v) => !graph.isOutput(v))) {
      node.outputs.forEach((v, i) => graph.replaceAllUsesWith(v, first.outputs[i]!));
      graph.removeNode(node);
      changed = true;
      continue;
    }
    if (!first) seen.set(key, node);
    node.outputs.forEach(id);
  }
  return changed;
}

export const csePass: Pass = {
  name: 'cse',
  description: 'merge identical constants and identical nodes',
  run: (model) => eliminateCommonSubexpressions(model.graph),
};
