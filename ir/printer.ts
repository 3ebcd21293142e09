import type { Attr } from './attr.js';
import type { Graph } from './graph.js';
import { bfloat16ToNumber, halfToNumber } from './half.js';
import type { Model } from './model.js';
import type { Node } from './node.js';
import type { Tensor } from './tensor.js';
import { typeToString } from './types.js';
import type { Value } from './value.js';

/**
 * The stable text form of the IR: used by `--print-after`, `inspect --graph`, error messages and
 * pass tests. Same IR ⇒ same text. Small constants are printed in full, larger ones summarised.
 */
export function printModel(model: Model): string {
  const opsets = [...model.opsetImports.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([d, v]) => `${d === '' ? 'ai.onnx' : d}=${v}`)
    .join(' ');
  const lines = [`model ir=${model.irVersion} opsets[${opsets}]`];
  lines.push(printGraph(model.graph));
  for (const f of model.functions) {
    lines.push(`function ${f.domain}.${f.name}${f.attributes.length ? ` <${f.attributes.join(', ')}>` : ''}`);
    lines.push(printGraph(f.body));
  }
  return lines.join('\n');
}

export function printGraph(graph: Graph, indent = ''): string {
  const lines: string[] = [];
  const sig = (v: Value) => `%${v.name}: ${typeToString(v.type)}`;
  lines.push(`${indent}graph ${graph.name}(${graph.inputs.map(sig).join(', ')}) -> (${graph.outputs.map(sig).join(', ')}) {`);
  for (const init of graph.initializers) {
    lines.push(`${indent}  const %${init.name}: ${typeToString(init.type)} = ${printTensorValue(init.constant!)}`);
  }
  for (const node of graph.nodes) for (const line of printNode(node, indent + '  ')) lines.push(line);
  lines.push(`${indent}  return ${graph.outputs.map((v) => `%${v.name}`).join(', ')}`);
  lines.push(`${indent}}`);
  return lines.join('\n');
}

export function printNode(node: Node, indent = ''): string[] {
  const outs = node.outputs.map((v) => `%${v.name}`).join(', ');
  const ins = node.inputs.map((v) => (v ? `%${v.name}` : '_')).join(', ');
  const attrNames = [...node.attrs.keys()].sort();
  const subgraphs: string[] = [];
  const attrs = attrNames.map((k) => {
    const a = node.attrs.get(k)!;
    if (a.kind === 'graph') {
      subgraphs.push(printGraph(a.value, indent + '  '));
      return `${k}=<graph ${a.value.name}>`;
    }
    if (a.kind === 'graphs') {
      for (const g of a.value) subgraphs.push(printGraph(g, indent + '  '));
      return `${k}=<graphs ${a.value.map((g) => g.name).join(',')}>`;
    }
    return `${k}=${printAttr(a)}`;
  });
  const types = node.outputs.map((v) => typeToString(v.type)).join(', ');
  const attrText = attrs.length ? ` {${attrs.join(', ')}}` : '';
  return [`${indent}${outs} = ${node.qualifiedOp}(${ins})${attrText} : ${types}`, ...subgraphs];
}

export function printAttr(a: Attr): string {
  switch (a.kind) {
    case 'int': return String(a.value);
    case 'float': return formatFloat(a.value);
    case 'string': return JSON.stringify(a.value);
    case 'ints': return `[${a.value.join(',')}]`;
    case 'floats': return `[${a.value.map(formatFloat).join(',')}]`;
    case 'strings': return `[${a.value.map((s) => JSON.stringify(s)).join(',')}]`;
    case 'tensor': return `tensor(${printTensorValue(a.value)})`;
    case 'tensors': return `[${a.value.map(printTensorValue).join(', ')}]`;
    case 'graph': return `<graph ${a.value.name}>`;
    case 'graphs': return `<graphs ${a.value.length}>`;
    case 'ref': return `@${a.refName}`;
  }
}

/** Floats always show a decimal point so they read differently from ints. */
function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const s = String(Math.fround(x) === x ? Number(Math.fround(x).toPrecision(9)) : x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

const INLINE_LIMIT = 8;

export function printTensorValue(t: Tensor): string {
  if (t.external) return `<external ${t.external.location}@${t.external.offset}>`;
  if (t.data === null && t.raw && (t.dtype === 'float16' || t.dtype === 'bfloat16')) {
    // 16-bit floats have no typed array: their values, decoded, like any float's.
    const n = t.raw.byteLength >> 1;
    if (n > INLINE_LIMIT) return `<${n} values>`;
    const decode = t.dtype === 'float16' ? halfToNumber : bfloat16ToNumber;
    return `[${Array.from({ length: n }, (_, i) => formatFloat(decode(t.raw![2 * i]! | (t.raw![2 * i + 1]! << 8)))).join(', ')}]`;
  }
  if (t.data === null) return `<${t.dtype} raw ${t.raw?.byteLength ?? 0} bytes>`;
  const n = t.data.length;
  if (n > INLINE_LIMIT) return `<${n} values>`;
  const vals = Array.isArray(t.data) ? t.data.map((s) => JSON.stringify(s)) : Array.from(t.data as ArrayLike<number | bigint>, (x) =>
    typeof x === 'bigint' ? x.toString() : t.dtype.startsWith('float') || t.dtype.startsWith('complex') ? formatFloat(x) : String(x));
  return `[${vals.join(', ')}]`;
}
