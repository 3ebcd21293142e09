import type { Attr } from '../ir/attr.js';
import type { Graph } from '../ir/graph.js';
import type { Node } from '../ir/node.js';
import type { Tensor } from '../ir/tensor.js';
import type { Value } from '../ir/value.js';
import { changed, type Pass } from './pass.js';

/** Ops whose every run gives new values: two of them are never the same computation. */
const NONDETERMINISTIC = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** The stored bytes of a tensor (strings as JSON), or its external reference. */
function contentOf(t: Tensor): Uint8Array | string {
  if (t.external) return `ext:${t.external.location}:${t.external.offset}:${t.external.length}`;
  const data = t.raw ?? t.data;
  if (data === null) return new Uint8Array(0);
  if (Array.isArray(data)) return JSON.stringify(data);
  const view = data as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Past this many 32-bit words a tensor is hashed over an evenly spread sample of them. */
const HASHED_WORDS = 4096;

/**
 * FNV-1a over the bytes (strings: over their UTF-16 code units; aligned data: over its 32-bit
 * words, a quarter of the steps), in two 32-bit lanes with different offset bases and
 * multipliers for a 64-bit key. Pure TypeScript so the pipeline also runs in browsers;
 * collisions only cost a comparison, since equal keys are confirmed byte by byte by `sameTensor`.
 * Aligned data longer than HASHED_WORDS words is hashed over HASHED_WORDS of them spread evenly
 * (the length is in the key too): O(min(n, 4096)) per tensor, where hashing every word of a model's
 * 300 MB of weights cost a third of a second. Equal tensors still get equal keys; tensors that
 * differ only between the samples collide and are told apart by the full comparison.
 */
function contentHash(c: Uint8Array | string): string {
  let a = 0x811c9dc5, b = 0x050c5d1f;
  const mix = (x: number) => {
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b ^ x, 0x5bd1e995);
  };
  if (typeof c === 'string') {
    for (let i = 0; i < c.length; i++) mix(c.charCodeAt(i));
  } else if (c.byteOffset % 4 === 0 && c.byteLength % 4 === 0) {
    const words = new Int32Array(c.buffer, c.byteOffset, c.byteLength / 4);
    const n = words.length;
    if (n <= HASHED_WORDS) {
      for (let i = 0; i < n; i++) mix(words[i]!);
    } else {
      mix(n);
      for (let k = 0; k < HASHED_WORDS; k++) mix(words[Math.floor((k * (n - 1)) / (HASHED_WORDS - 1))]!);
    }
  } else {
    for (let i = 0; i < c.length; i++) mix(c[i]!);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** Tensors are never changed in place: each is hashed once, however often CSE runs. */
const keys = new WeakMap<Tensor, string>();

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  if (x.byteLength !== y.byteLength) return false;
  let i = 0;
  if (x.byteOffset % 4 === 0 && y.byteOffset % 4 === 0) {
    // Word by word where both are aligned: a quarter of the steps.
    const n = x.byteLength >> 2;
    const xw = new Int32Array(x.buffer, x.byteOffset, n), yw = new Int32Array(y.buffer, y.byteOffset, n);
    for (; i < n; i++) if (xw[i] !== yw[i]) return false;
    i = n << 2;
  }
  for (; i < x.byteLength; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** A short content key (dtype, dims and a hash of the bytes); equal keys are confirmed by `sameTensor`. */
function tensorKey(t: Tensor): string {
  let key = keys.get(t);
  if (key === undefined) {
    key = `${t.dtype}[${t.dims.join(',')}]${t.external ? 'ext' : ''}:${contentHash(contentOf(t))}`;
    keys.set(t, key);
  }
  return key;
}

function sameTensor(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) return false;
  const x = contentOf(a), y = contentOf(b);
  if (typeof x === 'string' || typeof y === 'string') return x === y;
  return sameBytes(x, y);
}

/** Numbers by their exact value: JSON would print Infinity, −Infinity and NaN all as null. */
function numberKey(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

function attrKey(a: Attr, unique: () => string): string {
  switch (a.kind) {
    case 'tensor': return `t:${tensorKey(a.value)}`;
    case 'tensors': return `ts:${a.value.map(tensorKey).join('|')}`;
    case 'graph':
    case 'graphs': return `g:${unique()}`; // subgraphs are never compared, so never merged
    case 'float':
    case 'int': return `${a.kind}:${numberKey(a.value)}`;
    case 'floats':
    case 'ints': return `${a.kind}:${a.value.map(numberKey).join(',')}`;
    default: return JSON.stringify(a);
  }
}

function attrsEqual(a: Node, b: Node): boolean {
  if (a.attrs.size !== b.attrs.size) return false;
  for (const [k, x] of a.attrs) {
    const y = b.attrs.get(k);
    if (!y || x.kind !== y.kind) return false;
    if (x.kind === 'tensor' && y.kind === 'tensor' && !sameTensor(x.value, y.value)) return false;
    if (x.kind === 'tensors' && y.kind === 'tensors' && (x.value.length !== y.value.length || x.value.some((t, i) => !sameTensor(t, y.value[i]!)))) return false;
    if (x.kind === 'graph' || x.kind === 'graphs') return false;
  }
  return true;
}

/**
 * Whether `node`'s outputs can be replaced by `first`'s without renaming the graph's interface:
 * an output of `node` that is a graph output hands its public name to `first`'s output, which
 * can take it only if it is not a graph output itself.
 */
function interfaceSafe(graph: Graph, node: Node, first: Node): boolean {
  return node.outputs.every((v, i) => !graph.isOutput(v) || !graph.isOutput(first.outputs[i]!));
}

/**
 * Merge identical constants (same dtype, dims and bytes) and identical nodes (same domain, op,
 * attributes by value, and inputs), keeping the first in graph order so the result is
 * deterministic. One sweep in topological order also merges whole duplicate chains.
 */
export function eliminateCommonSubexpressions(graph: Graph): boolean {
  let changed = false;
  const ids = new Map<Value, number>();
  const id = (v: Value) => {
    if (!ids.has(v)) ids.set(v, ids.size);
    return ids.get(v)!;
  };
  let subgraphs = 0;
  const unique = () => String(subgraphs++);

  const constants = new Map<string, Value[]>();
  for (const v of [...graph.initializers]) {
    const key = tensorKey(v.constant!);
    const candidates = constants.get(key) ?? [];
    const first = candidates.find((c) => sameTensor(c.constant!, v.constant!));
    if (first && !graph.isOutput(v)) {
      graph.replaceAllUsesWith(v, first);
      graph.removeInitializer(v);
      changed = true;
      continue;
    }
    if (!first) constants.set(key, [...candidates, v]);
    id(v);
  }
  for (const v of graph.inputs) id(v);

  const seen = new Map<string, Node[]>();
  for (const node of [...graph.nodes]) {
    if (NONDETERMINISTIC.has(node.op)) {
      node.outputs.forEach(id);
      continue;
    }
    const attrs = [...node.attrs.keys()].sort().map((k) => `${k}=${attrKey(node.attrs.get(k)!, unique)}`);
    const ins = node.inputs.map((v) => (v ? ids.get(v) ?? `?${v.name}` : '_'));
    const key = `${node.domain}|${node.op}|${node.outputs.length}|${ins.join(',')}|${attrs.join(';')}`;
    const candidates = seen.get(key) ?? [];
    const first = candidates.find((c) => attrsEqual(c, node));
    if (first && interfaceSafe(graph, node, first)) {
      node.outputs.forEach((v, i) => graph.replaceAllUsesWith(v, first.outputs[i]!, true));
      graph.removeNode(node);
      changed = true;
      continue;
    }
    if (!first) seen.set(key, [...candidates, node]);
    node.outputs.forEach(id);
  }
  return changed;
}

export const csePass: Pass = {
  name: 'cse',
  description: 'merge identical constants and identical nodes',
  run: (model) => changed(eliminateCommonSubexpressions(model.graph)),
};
