import { Progress } from '../../ir/progress.js';
import { modelToBytes } from '../../export/onnx-write.js';
import type { Model } from '../../ir/model.js';
import { compileModel, type CompileOptions, type ModelFile, type Weights } from '../compile.js';
import { compiledMode, readStates, type StateInfo } from '../metadata.js';
import { hasRecurrence } from '../models/layer.js';
import { findArch } from '../models/registry.js';

/**
 * A language model as the generation engine sees it: a step graph (token ids [batch] and one
 * `state.<layer>` per layer in; logits [batch, V] and `state_out.<layer>` out, as the
 * `ssmc.states` metadata lists them) and optionally a prefill graph (token ids [batch, L] in;
 * logits [batch, L, V] and the same `state_out.<layer>` out). Nothing here is specific to one
 * arch: any model compiled with that interface is served and generated from the same way.
 */
export interface LmGraphs {
  step: Uint8Array;
  /** Without one, prompts are fed through the step graph one position at a time. */
  prefill: Uint8Array | null;
  vocab: number;
  states: StateInfo[];
}

/** The step (and prefill) graph of a model file with token-id input, or why it has none. */
export function compileLmGraphs(file: ModelFile, weights: Weights | null, opts: Pick<CompileOptions, 'opset' | 'threads' | 'budget' | 'progress' | 'runtime' | 'kvCache'>): LmGraphs | string {
  const arch = findArch(file.arch);
  const { io, layer } = arch.configure(file.args);
  if (io.inputDtype !== 'int64') return `arch '${arch.id}' takes ${io.inputDtype} input, not token ids`;
  if (!hasRecurrence(layer.recurrence)) return layer.recurrence.none;
  const base = { seqLen: null, opset: opts.opset, threads: opts.threads, budget: opts.budget, runtime: opts.runtime, kvCache: opts.kvCache };
  const progress = opts.progress ?? Progress.none;
  const step = progress.run('compile step graph', (task) => compileModel(file, weights, { ...base, mode: 'step', progress: task.progress }).model);
  const prefill = progress.run('compile prefill graph', (task) => compileModel(file, weights, { ...base, mode: 'prefill', progress: task.progress }).model);
  return lmFromModels(step, prefill);
}

/** The LM interface of compiled graphs, checked; a string says what is missing. */
export function lmFromModels(step: Model, prefill: Model | null): LmGraphs | string {
  if (compiledMode(step) !== 'step') return 'it is not a step graph (metadata ssmc.mode is not "step"); compile it with --mode step';
  const input = step.graph.inputs.find((v) => v.name === 'input');
  const output = step.graph.outputs.find((v) => v.name === 'output');
  if (!input || input.type.dtype !== 'int64' || input.type.shape?.length !== 1) return 'its input is not token ids: a language-model step graph takes int64 input [batch]';
  const vocab = output?.type.shape?.[1];
  if (!output || output.type.shape?.length !== 2 || typeof vocab !== 'number') return 'its output is not logits [batch, V] with a fixed vocabulary size V';
  const states = readStates(step);
  if (prefill) {
    const pin = prefill.graph.inputs.find((v) => v.name === 'input');
    const pout = prefill.graph.outputs.find((v) => v.name === 'output');
    if (compiledMode(prefill) !== 'prefill' || !pin || pin.type.dtype !== 'int64' || pin.type.shape?.length !== 2 || pout?.type.shape?.[2] !== vocab) {
      return 'the prefill graph does not take token ids [batch, L] to logits [batch, L, V] with the step graph\'s V';
    }
    const same = JSON.stringify(readStates(prefill).map((s) => [s.output, s.shape])) === JSON.stringify(states.map((s) => [s.output, s.shape]));
    if (!same) return 'the prefill graph\'s final states are not the states its step graph reads';
  }
  return { step: modelToBytes(step), prefill: prefill ? modelToBytes(prefill) : null, vocab, states };
}

/**
 * Byte-level models (a vocabulary of at most the 256 byte values, as `ssmc generate` reads them)
 * take and give text as UTF-8 bytes.
 */
export function isByteLevel(lm: Pick<LmGraphs, 'vocab'>): boolean {
  return lm.vocab <= 256;
}
