import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import type { Session } from './runtime/run.js';

export interface StateSpec {
  input: string;
  output: string;
  shape: (string | number)[];
}

/** The state interface recorded in a step graph's metadata. */
export function stepStates(model: Model): StateSpec[] {
  const text = model.metadata.get('ssmc.states');
  if (!text) throw new Error('not a step graph: metadata has no ssmc.states');
  return JSON.parse(text) as StateSpec[];
}

/** Zero states for a batch (the state at the start of every sequence). */
export function zeroStates(specs: StateSpec[], batch: number): Map<string, Tensor> {
  return new Map(specs.map((s) => {
    const dims = s.shape.map((d) => (d === 'batch' ? batch : (d as number)));
    return [s.input, { dtype: 'float32', dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) } as Tensor];
  }));
}

/**
 * Run a step graph over positions: `inputAt(t)` gives position t's input; states start at
 * `initial` (zeros by default) and are carried from each step to the next.
 */
export async function runSteps(session: Session, specs: StateSpec[], steps: number, inputAt: (t: number) => Tensor, initial: Map<string, Tensor>): Promise<{ outputs: Tensor[]; states: Map<string, Tensor> }> {
  let states = initial;
  const outputs: Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const res = await session.run(new Map([['input', inputAt(t)], ...states]));
    outputs.push(res.get('output')!);
    states = new Map(specs.map((s) => [s.input, res.get(s.output)!]));
  }
  return { outputs, states };
}

/**
 * Autoregressive generation with a language-model step graph (token ids [1] in, logits [1,V]
 * out): feed `prompt` one position at a time from zero states, then append `count` tokens, each
 * chosen by `pick` from the last step's logits. `onToken` sees each new token as it comes.
 */
export async function generateTokens(
  session: Session,
  specs: StateSpec[],
  prompt: number[],
  count: number,
  pick: (logits: Float32Array) => number,
  onToken?: (token: number) => void,
): Promise<number[]> {
  if (prompt.length === 0) throw new Error('generation needs at least one prompt token');
  const ids = [...prompt];
  let states = zeroStates(specs, 1);
  for (let t = 0; ids.length < prompt.length + count; t++) {
    const res = await runSteps(session, specs, 1, () => ({ dtype: 'int64', dims: [1], data: BigInt64Array.of(BigInt(ids[t]!)) }), states);
    states = res.states;
    if (t < prompt.length - 1) continue;
    const next = pick(res.outputs[0]!.data as Float32Array);
    ids.push(next);
    onToken?.(next);
  }
  return ids;
}
