import type { Dim, TensorType } from '../types.js';
import { TypeInferenceError, type InferRule } from './context.js';

/**
 * Scan (opset 9+): the state outputs keep the state inputs' types; each scan output is the body's
 * per-iteration output with the iteration axis inserted at its scan_output_axes entry, as long as
 * the first scan input's scanned axis.
 */
const scan: InferRule = (node) => {
  const body = node.attrs.get('body');
  if (body?.kind !== 'graph') throw new TypeInferenceError(node, "needs a graph attribute 'body'");
  const g = body.value;
  const numScanInputs = node.attrInt('num_scan_inputs');
  const numStates = node.inputs.length - numScanInputs;
  if (numScanInputs < 1 || numStates < 0) throw new TypeInferenceError(node, `num_scan_inputs ${numScanInputs} does not fit the ${node.inputs.length} inputs`);
  if (g.outputs.length < numStates) throw new TypeInferenceError(node, `the body returns ${g.outputs.length} outputs, fewer than the ${numStates} states`);
  const first = node.input(numStates).type.shape;
  const inAxis = node.attrInts('scan_input_axes', new Array<number>(numScanInputs).fill(0))[0]!;
  const length: Dim = first === null ? null : first[inAxis < 0 ? inAxis + first.length : inAxis] ?? null;
  const numScanOutputs = g.outputs.length - numStates;
  const outAxes = node.attrInts('scan_output_axes', new Array<number>(numScanOutputs).fill(0));
  return g.outputs.map((o, i): TensorType => {
    if (i < numStates) return node.input(i).type;
    const s = o.type.shape;
    if (s === null) return { dtype: o.type.dtype, shape: null };
    const axis = outAxes[i - numStates]!;
    const at = axis < 0 ? axis + s.length + 1 : axis;
    return { dtype: o.type.dtype, shape: [...s.slice(0, at), length, ...s.slice(at)] };
  });
};

export const CONTROL_FLOW_RULES: Record<string, InferRule> = { Scan: scan };
