import type { Model } from '../ir/model.js';
import { tensorBytes } from '../ir/tensor.js';
import { typeToString } from '../ir/types.js';

/** A short, human summary of a model: interface, parameters and op histogram. */
export function summarizeModel(model: Model): string {
  const g = model.graph;
  const ops = new Map<string, number>();
  for (const n of g.nodes) ops.set(n.qualifiedOp, (ops.get(n.qualifiedOp) ?? 0) + 1);
  const hist = [...ops.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const bytes = g.initializers.reduce((s, v) => s + tensorBytes(v.constant!), 0);
  const opsets = [...model.opsetImports.entries()].map(([d, v]) => `${d || 'ai.onnx'} ${v}`).join(', ');
  const lines = [
    `ir_version ${model.irVersion}, opsets: ${opsets}`,
    `inputs:  ${g.inputs.map((v) => `${v.name} ${typeToString(v.type)}`).join(', ')}`,
    `outputs: ${g.outputs.map((v) => `${v.name} ${typeToString(v.type)}`).join(', ')}`,
    `initializers: ${g.initializers.length} (${(bytes / 1024).toFixed(1)} KiB)`,
    `nodes: ${g.nodes.length} — ${hist.map(([op, n]) => `${op}×${n}`).join(' ')}`,
  ];
  return lines.join('\n');
}
