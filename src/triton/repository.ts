import { modelToBytes } from '../../export/onnx-write.js';
import { PbEnum, toPbtxt, type PbMessage } from '../../export/pbtxt.js';
import { Builder } from '../../ir/builder.js';
import type { Model } from '../../ir/model.js';
import { tensorType, type Dim, type DType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { UserError } from '../errors.js';
import { readStates } from '../metadata.js';

/**
 * A Triton Inference Server model repository for the onnxruntime backend: the convolution graph
 * as a batched model (dynamic batching over the batch dim, other symbolic dims -1), and the step
 * graph as a stateful model — sequence batching with implicit state (each `state.<layer>` /
 * `state_out.<layer>` pair kept by Triton per sequence, zeros at a sequence's start) and the
 * START / READY controls as model inputs.
 */

/** Files of the repository, by path relative to its root. */
export type RepositoryFiles = Map<string, Uint8Array | string>;

const TRITON_TYPES: Partial<Record<DType, string>> = {
  bool: 'TYPE_BOOL', uint8: 'TYPE_UINT8', uint16: 'TYPE_UINT16', uint32: 'TYPE_UINT32', uint64: 'TYPE_UINT64', int8: 'TYPE_INT8',
  int16: 'TYPE_INT16', int32: 'TYPE_INT32', int64: 'TYPE_INT64', float16: 'TYPE_FP16', float32: 'TYPE_FP32', float64: 'TYPE_FP64',
  string: 'TYPE_STRING', bfloat16: 'TYPE_BF16',
};

/** The control inputs the step model takes: int32 [batch, 1], 1 for true. */
export const CONTROL_INPUTS = { start: 'START', ready: 'READY' } as const;

export interface TritonOptions {
  /** Triton's max_batch_size for both models. */
  maxBatch: number;
  /** How long Triton keeps an idle sequence's state (max_sequence_idle_microseconds). */
  sequenceIdleSeconds: number;
}

function tritonType(dtype: DType, what: string): PbEnum {
  const t = TRITON_TYPES[dtype];
  if (!t) throw new UserError(`${what} is ${dtype}, which Triton's model configuration cannot declare`);
  return new PbEnum(t);
}

const tritonDims = (shape: readonly Dim[]) => shape.map((d) => (typeof d === 'number' ? d : -1));

/** The shape without its leading `batch` dim, or null when the value is not batched that way. */
function unbatched(v: Value): Dim[] | null {
  const shape = v.type.shape;
  return shape && shape.length > 0 && shape[0] === 'batch' ? shape.slice(1) : null;
}

function tensorConfig(v: Value, shape: readonly Dim[]): PbMessage {
  // A scalar per batch item: Triton wants dims [1]; reshape hands the model its [batch] tensor.
  if (shape.length === 0) return { name: v.name, data_type: tritonType(v.type.dtype, `'${v.name}'`), dims: [1], reshape: { shape: [] } };
  return { name: v.name, data_type: tritonType(v.type.dtype, `'${v.name}'`), dims: tritonDims(shape) };
}

/** config.pbtxt of a stateless graph: batched over `batch` when every input and output leads with it. */
export function convConfig(model: Model, name: string, opts: TritonOptions): string {
  const io = [...model.graph.inputs.filter((v) => !v.constant), ...model.graph.outputs];
  const batched = io.every((v) => unbatched(v) !== null);
  const shape = (v: Value) => (batched ? unbatched(v)! : v.type.shape ?? []);
  const config: PbMessage = {
    name,
    backend: 'onnxruntime',
    max_batch_size: batched ? opts.maxBatch : 0,
    input: model.graph.inputs.filter((v) => !v.constant).map((v) => tensorConfig(v, shape(v))),
    output: model.graph.outputs.map((v) => tensorConfig(v, shape(v))),
    dynamic_batching: batched ? {} : undefined,
  };
  return toPbtxt(config);
}

/** config.pbtxt of a step graph (after `withSequenceControls`): sequence batching with implicit state. */
export function stepConfig(model: Model, name: string, opts: TritonOptions): string {
  const states = readStates(model);
  const stateInputs = new Set(states.map((s) => s.input));
  const stateOutputs = new Set(states.map((s) => s.output));
  const controls = new Set<string>(Object.values(CONTROL_INPUTS));
  const shapeOf = (v: Value) => {
    const s = unbatched(v);
    if (!s) throw new UserError(`step graph value '${v.name}' does not lead with the batch dim; Triton's sequence batcher needs it`);
    return s;
  };
  const control = (inputName: string, kind: string): PbMessage => ({
    name: inputName,
    control: [{ kind: new PbEnum(kind), int32_false_true: [0, 1] }],
  });
  const config: PbMessage = {
    name,
    backend: 'onnxruntime',
    max_batch_size: opts.maxBatch,
    input: model.graph.inputs.filter((v) => !v.constant && !stateInputs.has(v.name) && !controls.has(v.name)).map((v) => tensorConfig(v, shapeOf(v))),
    output: model.graph.outputs.filter((v) => !stateOutputs.has(v.name)).map((v) => tensorConfig(v, shapeOf(v))),
    sequence_batching: {
      max_sequence_idle_microseconds: Math.round(opts.sequenceIdleSeconds * 1e6),
      direct: {},
      control_input: [control(CONTROL_INPUTS.start, 'CONTROL_SEQUENCE_START'), control(CONTROL_INPUTS.ready, 'CONTROL_SEQUENCE_READY')],
      state: states.map((s) => {
        const dims = s.shape.slice(1).map((d) => {
          if (typeof d !== 'number') throw new UserError(`state '${s.input}' has a symbolic dim ${d} besides batch; Triton's implicit state needs fixed dims`);
          return d;
        });
        return {
          input_name: s.input,
          output_name: s.output,
          data_type: new PbEnum('TYPE_FP32'),
          dims,
          initial_state: [{ data_type: new PbEnum('TYPE_FP32'), dims, zero_data: true, name: 'zeros' }],
        };
      }),
    },
  };
  return toPbtxt(config);
}

/**
 * Give a step graph the sequence batcher's controls as inputs — START and READY, int32
 * [batch, 1] — and make START reset: a row whose START is 1 reads zero states, whatever Triton
 * hands it, so a sequence starts from zero with or without the initial_state setting. READY
 * needs no handling: Triton drops the outputs and state of rows that are not ready.
 */
export function withSequenceControls(step: Model): void {
  const g = step.graph;
  const states = readStates(step);
  if (g.inputs.some((v) => v.name === CONTROL_INPUTS.start || v.name === CONTROL_INPUTS.ready)) {
    throw new UserError(`the step graph already has an input named ${CONTROL_INPUTS.start} or ${CONTROL_INPUTS.ready}`);
  }
  const start = g.addInput(CONTROL_INPUTS.start, tensorType('int32', ['batch', 1]));
  g.addInput(CONTROL_INPUTS.ready, tensorType('int32', ['batch', 1]));
  // The reset belongs to no layer of the model: top-level scope, whatever the first node's.
  const b = new Builder(g, step.opsetImports.get('') ?? 17, g.nodes[0] ?? null, '');
  const zero = b.f32(0, [], 'zero_state');
  const starting = b.cast(start, 9); // bool [batch, 1]
  for (const s of states) {
    const v = g.inputs.find((x) => x.name === s.input)!;
    const rank = v.type.shape!.length;
    const uses = [...v.uses];
    const cond = b.unsqueeze(starting, Array.from({ length: rank - 2 }, (_, i) => i + 2)); // [batch, 1, 1, …]
    const reset = b.op('Where', [cond, zero, v], {}, { name: `reset_${s.input}` });
    for (const use of uses) use.node.setInput(use.index, reset);
  }
}

/** The repository's files: `<name>/` for the convolution graph, `<name>_step/` for the step graph. */
export function tritonRepository(name: string, conv: Model | null, step: Model | null, opts: TritonOptions): RepositoryFiles {
  const files: RepositoryFiles = new Map();
  if (conv) {
    files.set(`${name}/config.pbtxt`, convConfig(conv, name, opts));
    files.set(`${name}/1/model.onnx`, modelToBytes(conv));
  }
  if (step) {
    withSequenceControls(step);
    files.set(`${name}_step/config.pbtxt`, stepConfig(step, `${name}_step`, opts));
    files.set(`${name}_step/1/model.onnx`, modelToBytes(step));
  }
  return files;
}
