import { emptyStack, stackAt, takeAt } from '../axis-slices.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';
import { rt, type RTensor } from '../rtensor.js';

/**
 * Scan, opset 8: axis 0 of every state and scan input is a batch axis, the optional first input
 * holds each batch entry's sequence length, and `directions` says which scan inputs run
 * backwards. Each batch entry is scanned on its own; scan outputs are [batch, steps, …], the
 * steps past an entry's length left at zero.
 */
const scanV8: Kernel = (inputs, node, ctx) => {
  const what = `node '${node.name}' (Scan)`;
  const body = node.attrs.get('body');
  if (body?.kind !== 'graph') throw new Error(`${what}: needs a graph attribute 'body'`);
  const g = body.value;
  const numScanInputs = node.attrInt('num_scan_inputs');
  const rest = inputs.slice(1);
  const numStates = rest.length - numScanInputs;
  if (numScanInputs < 1 || numStates < 0) throw new Error(`${what}: num_scan_inputs = ${numScanInputs} must be between 1 and the ${rest.length} inputs after sequence_lens`);
  if (g.inputs.length !== rest.length) throw new Error(`${what}: the body takes ${g.inputs.length} inputs, but the node passes ${rest.length} (states then scan slices)`);
  const numScanOutputs = g.outputs.length - numStates;
  if (numScanOutputs < 0) throw new Error(`${what}: the body returns ${g.outputs.length} outputs, fewer than the ${numStates} states`);
  const directions = node.attrInts('directions', new Array<number>(numScanInputs).fill(0));
  const states0 = rest.slice(0, numStates).map((_, i) => need(inputs, 1 + i, node));
  const seqs = rest.slice(numStates).map((_, j) => need(inputs, 1 + numStates + j, node));
  const batch = seqs[0]!.dims[0]!;
  const maxT = seqs[0]!.dims[1]!;
  for (const t of [...states0, ...seqs]) {
    if (t.dims[0] !== batch) throw new Error(`${what}: every state and scan input needs the batch axis first, of ${batch}`);
  }
  const lens = inputs[0] ? Array.from(inputs[0].data) : new Array<number>(batch).fill(maxT);
  const finals: RTensor[][] = Array.from({ length: numStates }, () => []);
  const stacked: RTensor[][] = Array.from({ length: numScanOutputs }, () => []);
  for (let b = 0; b < batch; b++) {
    const T = lens[b]!;
    if (!Number.isInteger(T) || T < 0 || T > maxT) throw new Error(`${what}: sequence_lens[${b}] = ${T} must be between 0 and ${maxT}`);
    let states = states0.map((s) => takeAt(s, 0, b));
    const entry = seqs.map((s) => takeAt(s, 0, b));
    const perStep: RTensor[][] = Array.from({ length: numScanOutputs }, () => []);
    for (let t = 0; t < T; t++) {
      const slices = entry.map((s, j) => takeAt(s, 0, directions[j] ? T - 1 - t : t));
      const outs = ctx.runSubgraph(g, [...states, ...slices]);
      states = outs.slice(0, numStates);
      outs.slice(numStates).forEach((y, k) => perStep[k]!.push(y));
    }
    states.forEach((s, i) => finals[i]!.push(s));
    perStep.forEach((parts, k) => {
      const declared = g.outputs[numStates + k]!.type;
      const steps = parts.length > 0 ? stackAt(parts, 0, what) : emptyStack(declared, 0, what);
      stacked[k]!.push(padSteps(steps, maxT));
    });
  }
  return [...finals.map((parts) => stackAt(parts, 0, what)), ...stacked.map((parts) => stackAt(parts, 0, what))];
};

/** [T, …] → [maxT, …], zeros after the entry's own steps. */
function padSteps(x: RTensor, maxT: number): RTensor {
  if (x.dims[0] === maxT) return x;
  const out = rt(x.dtype, [maxT, ...x.dims.slice(1)]);
  out.data.set(x.data);
  return out;
}

export const ScanV8 = onnxKernel('Scan', scanV8, 8);
