import type { Graph } from '../../graph.js';
import type { Node } from '../../node.js';
import { emptyStack, stackAt, takeAt } from '../axis-slices.js';
import { need, onnxKernel, type Kernel } from '../kernel.js';
import { normAxis, type RTensor } from '../rtensor.js';

/** Scan (opset 9+): the attributes, checked against the node and its body. */
export interface ScanAttrs {
  body: Graph;
  numStates: number;
  numScanInputs: number;
  numScanOutputs: number;
  inputAxes: number[];
  inputDirections: number[];
  outputAxes: number[];
  outputDirections: number[];
}

export function parseScanAttrs(node: Node): ScanAttrs {
  const what = `node '${node.name}' (Scan)`;
  const body = node.attrs.get('body');
  if (body?.kind !== 'graph') throw new Error(`${what}: needs a graph attribute 'body'`);
  const numScanInputs = node.attrInt('num_scan_inputs');
  const numStates = node.inputs.length - numScanInputs;
  if (numScanInputs < 1 || numStates < 0) {
    throw new Error(`${what}: num_scan_inputs = ${numScanInputs} must be between 1 and the ${node.inputs.length} inputs`);
  }
  const g = body.value;
  if (g.inputs.length !== node.inputs.length) {
    throw new Error(`${what}: the body takes ${g.inputs.length} inputs, but the node passes ${node.inputs.length} (states then scan slices)`);
  }
  const numScanOutputs = g.outputs.length - numStates;
  if (numScanOutputs < 0) throw new Error(`${what}: the body returns ${g.outputs.length} outputs, fewer than the ${numStates} states`);
  const list = (name: string, n: number) => {
    const v = node.attrInts(name, new Array<number>(n).fill(0));
    if (v.length !== n) throw new Error(`${what}: '${name}' has ${v.length} entries, needs ${n}`);
    return v;
  };
  return {
    body: g,
    numStates,
    numScanInputs,
    numScanOutputs,
    inputAxes: list('scan_input_axes', numScanInputs),
    inputDirections: list('scan_input_directions', numScanInputs),
    outputAxes: list('scan_output_axes', numScanOutputs),
    outputDirections: list('scan_output_directions', numScanOutputs),
  };
}

/**
 * Scan: run the body once per position of the scan inputs (forwards, or backwards where a
 * direction is 1), threading the states through; stack each scan output along its axis.
 */
const scanKernel: Kernel = (inputs, node, ctx) => {
  const a = parseScanAttrs(node);
  const what = `node '${node.name}' (Scan)`;
  let states = inputs.slice(0, a.numStates).map((_, i) => need(inputs, i, node));
  const seqs = inputs.slice(a.numStates).map((_, j) => need(inputs, a.numStates + j, node));
  const axes = seqs.map((s, j) => normAxis(a.inputAxes[j]!, s.dims.length, what));
  const T = seqs[0]!.dims[axes[0]!]!;
  seqs.forEach((s, j) => {
    if (s.dims[axes[j]!] !== T) throw new Error(`${what}: scan input ${j} has ${s.dims[axes[j]!]} steps along axis ${axes[j]}, scan input 0 has ${T}`);
  });

  const perStep: RTensor[][] = Array.from({ length: a.numScanOutputs }, () => []);
  for (let t = 0; t < T; t++) {
    const slices = seqs.map((s, j) => takeAt(s, axes[j]!, a.inputDirections[j] ? T - 1 - t : t));
    const outs = ctx.runSubgraph(a.body, [...states, ...slices]);
    states = outs.slice(0, a.numStates);
    outs.slice(a.numStates).forEach((y, k) => perStep[k]!.push(y));
  }

  const scanOutputs = perStep.map((parts, k) => {
    if (a.outputDirections[k]) parts.reverse();
    const declared = a.body.outputs[a.numStates + k]!.type;
    const rank = parts[0]?.dims.length ?? declared.shape?.length ?? 0;
    const axis = normAxis(a.outputAxes[k]!, rank + 1, what);
    return parts.length > 0 ? stackAt(parts, axis, what) : emptyStack(declared, axis, what);
  });
  return [...states, ...scanOutputs];
};

export const Scan = onnxKernel('Scan', scanKernel, 9);
