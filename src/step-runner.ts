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
export async function runSteps(session: Session, specs: readonly StateInfo[], steps: number, inputAt: (t: number) => Tensor, initial: Map<string, Tensor>): Promise<{ outputs: Tensor[]; states: Map<string, Tensor> }> {
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
  specs: readonly StateInfo[],
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
