import type { Tensor } from '../ir/tensor.js';
import { stateDims, type StateInfo } from './metadata.js';
import type { Session } from './runtime/run.js';

/** Zero states for a batch (the state at the start of every sequence); `specs` from readStates (metadata.ts). */
export function zeroStates(specs: readonly StateInfo[], batch: number): Map<string, Tensor> {
  return new Map(specs.map((s): [string, Tensor] => {
    const dims = stateDims(s, batch);
    return [s.input, { dtype: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) }];
  }));
}

/**
 * Run a step graph over positions: `inputAt(t)` gives position t's input; states start at
 * `initial` (zeros by default) and are carried from each step to the next.
 */
export async function runSteps(
  session: Session,
  specs: readonly StateInfo[],
  steps: number,
  inputAt: (t: number) => Tensor,
  initial: Map<string, Tensor>,
  /** Where the new states go (see StateBuffers); absent: onnxruntime allocates them at every step. */
  buffers?: StateBuffers,
): Promise<{ outputs: Tensor[]; states: Map<string, Tensor> }> {
  let states = initial;
  const outputs: Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const into = buffers?.next(states);
    const res = await session.run(new Map([['input', inputAt(t)], ...states]), into);
    outputs.push(res.get('output')!);
    states = new Map(specs.map((s) => [s.input, res.get(s.output)!]));
  }
  return { outputs, states };
}

/**
 * Two sets of state tensors a step loop alternates between: each step reads one set and
 * onnxruntime writes the new states straight into the other, so the loop allocates and copies
 * nothing per step beyond the graph's own writes (a 4096-slot key/value cache is megabytes a
 * step). The states a step returns stay valid until the step after next; the caller's own
 * tensors (the initial states) are never written.
 */
export class StateBuffers {
  private readonly sets: Map<string, Tensor>[] = [];

  constructor(private readonly specs: readonly StateInfo[]) {}

  /** Output tensors (by output name) for the step that reads `current`: the set `current` is not. */
  next(current: Map<string, Tensor>): Map<string, Tensor> {
    const first = this.specs[0];
    if (!first) return new Map();
    const reading = current.get(first.input);
    let set = this.sets.find((s) => s.get(first.output) !== reading);
    const dims = (spec: StateInfo) => current.get(spec.input)!.dims;
    if (set && this.specs.some((spec) => set!.get(spec.output)!.dims.join() !== dims(spec).join())) {
      this.sets.length = 0; // the batch changed: start over
      set = undefined;
    }
    if (!set) {
      set = new Map(this.specs.map((spec): [string, Tensor] => [spec.output, { dtype: 'float32', dims: [...dims(spec)], data: new Float32Array(dims(spec).reduce((a, b) => a * b, 1)) }]));
      this.sets.push(set);
      if (this.sets.length > 2) this.sets.shift();
    }
    return set;
  }
}

/**
 * Autoregressive generation with a language-model step graph (token ids [1] in, logits [1,V]
 * out): feed `prompt` one position at a time from zero states, then append `count` tokens, each
 * chosen by `pick` from the last step's logits. `onToken` sees each new token as it comes.
 */
export async function generateTokens(
  session: Session,
  specs: readonly StateInfo[],
  prompt: number[],
  count: number,
  pick: (logits: Float32Array) => number,
  onToken?: (token: number) => void,
): Promise<number[]> {
  if (prompt.length === 0) throw new Error('generation needs at least one prompt token');
  const ids = [...prompt];
  let states = zeroStates(specs, 1);
  const buffers = new StateBuffers(specs);
  for (let t = 0; ids.length < prompt.length + count; t++) {
    const res = await runSteps(session, specs, 1, () => ({ dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(ids[t]!)) }), states, buffers);
    states = res.states;
    if (t < prompt.length - 1) continue;
    const next = pick(res.outputs[0]!.data as Float32Array);
    ids.push(next);
    onToken?.(next);
  }
  return ids;
}
