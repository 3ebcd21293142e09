import type { StateInfo } from 'ssmc';

/** Messages between the demo page and its generation worker. */

/** What the build writes beside the model files (web/dist/gss-code.json). */
export interface DemoManifest {
  /** The step graph: one token id in, logits [1, vocab] and every layer's next state out. */
  stepModel: string;
  /** The whole-sequence (convolution) graph, dynamic length; offered to the inspector. */
  convModel: string;
  vocab: number;
  /** The step graph's state interface (its `ssmc.states` metadata), so the worker need not parse the model. */
  states: StateInfo[];
  /** The prompt shipped with the model (examples/gss-code/gss_code.config.json). */
  prompt: string;
  /** The model file and checkpoint, for compiling the step graph in the browser instead. */
  checkpoint: { modelFile: string; weights: string };
  /** onnxruntime-web's .wasm files, relative to the page. */
  wasmDir: string;
}

/** 'prebuilt': fetch the step graph compiled at build time; 'compile': compile it here from the checkpoint. */
export type ModelSource = 'prebuilt' | 'compile';

export type ToWorker =
  | { kind: 'load'; source: ModelSource }
  | { kind: 'generate'; prompt: string; maxTokens: number };

export type FromWorker =
  | { kind: 'loaded'; source: ModelSource; layers: number; loadMs: number; modelBytes: number; sha256: string }
  | { kind: 'token'; text: string; generated: number; tokensPerSecond: number }
  | { kind: 'done'; text: string; generated: number; tokensPerSecond: number; promptBytes: number }
  | { kind: 'error'; message: string };
