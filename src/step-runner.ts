import type { Model } from '../ir/model.js';
import type { Tensor } from '../ir/tensor.js';
import { UserError } from './errors.js';
import type { Session } from './runtime/run.js';

export interface StateSpec {
  input: string;
  output: string;
  shape: (string | number)[];
}

/** The most elements one state may hold per batch entry (1 GiB of float32): metadata claiming more is refused. */
export const MAX_STATE_ELEMENTS = 2 ** 28;

/**
 * The state interface recorded in a step graph's metadata, checked against the graph itself: a
 * file's metadata is data like any other, so every state must be a float32 graph input and
 * output of the declared shape, and its size is bounded before zeros are allocated for it.
 */
export function stepStates(model: Model): StateSpec[] {
  const text = model.metadata.get('ssmc.states');
  if (!text) throw new UserError('not a step graph: its metadata has no ssmc.states');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new UserError(`metadata ssmc.states is not valid JSON (${(e as Error).message.slice(0, 100)})`);
  }
  if (!Array.isArray(parsed)) throw new UserError('metadata ssmc.states must be a JSON array of {input, output, shape}');
  const inputs = new Map(model.graph.inputs.map((v) => [v.name, v]));
  const outputs = new Map(model.graph.outputs.map((v) => [v.name, v]));
  return parsed.map((entry, i) => {
    const where = `metadata ssmc.states[${i}]`;
    const e = entry as Partial<StateSpec> | null;
    if (!e || typeof e.input !== 'string' || typeof e.output !== 'string' || !Array.isArray(e.shape)) {
      throw new UserError(`${where} must be an object with "input", "output" (names) and "shape" (a list)`);
    }
    // A step graph reads each state as an input; a prefill graph only returns it.
    const stepGraph = model.metadata.get('ssmc.mode') !== 'prefill';
    const output = outputs.get(e.output);
    const value = stepGraph ? inputs.get(e.input) : output;
    if (!output) throw new UserError(`${where}: '${e.output}' is not a graph output of the model`);
    if (!value) throw new UserError(`${where}: '${e.input}' is not a graph input of the model`);
    const role = stepGraph ? `graph input '${e.input}'` : `graph output '${e.output}'`;
    if (value.type.dtype !== 'float32') throw new UserError(`${where}: ${role} is ${value.type.dtype}, not float32`);
    const declared = value.type.shape;
    const same = declared !== null && declared.length === e.shape.length && e.shape.every((d, k) => (d === 'batch' ? declared[k] === 'batch' : d === declared[k]));
    if (!same || e.shape.some((d) => d !== 'batch' && !(Number.isSafeInteger(d) && (d as number) >= 0))) {
      throw new UserError(`${where}: shape ${JSON.stringify(e.shape).slice(0, 80)} does not match ${role} [${declared?.join(',') ?? '?'}]`);
    }
    const elements = e.shape.reduce<number>((n, d) => n * (d === 'batch' ? 1 : (d as number)), 1);
    if (elements > MAX_STATE_ELEMENTS) throw new UserError(`${where}: state '${e.input}' holds ${elements} elements per sequence, over the ${MAX_STATE_ELEMENTS} limit`);
    return e as StateSpec;
  });
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
