import type { StateInfo } from 'ssmc';

/** Messages between the demo page and its generation worker. */

/** What the build writes beside the model files (web/dist/gss-code.json). */
export interface DemoManifest {
  /** The step graph: one token id in, logits [1, vocab] and every layer's next state out. */
  stepModel: string;
  /** The same step graph planned for WebGPU (`--target ort-webgpu`: loop-free, fp32), run when an adapter exists. */
  stepModelWebGpu: string;
  /** The whole-sequence (convolution) graph, dynamic length; offered to the inspector. */
  convModel: string;
  vocab: number;
  /** The step graph's state interface (its `ssmc.states` metadata), so the worker need not parse the model. */
  states: StateInfo[];
  /** The WebGPU step graph's state interface. */
  statesWebGpu: StateInfo[];
  /** The prompt shipped with the model (examples/gss-code/gss_code.config.json). */
  prompt: string;
  /** The model file and checkpoint, for compiling the step graph in the browser instead. */
  checkpoint: { modelFile: string; weights: string };
  /** onnxruntime-web's .wasm files, relative to the page. */
  wasmDir: string;
  /** The plain (CPU-only, smaller) wasm build's two files in wasmDir, loaded where WebGPU is absent. */
  plainWasm: { mjs: string; wasm: string };
}

/** 'prebuilt': fetch the step graph compiled at build time; 'compile': compile it here from the checkpoint. */
export type ModelSource = 'prebuilt' | 'compile';

/** How the next byte is chosen: temperature 0 is greedy (as `ssmc generate`), else softmax over the top-k (0: all). */
export interface DemoSampling {
  temperature: number;
  topK: number;
  seed: number;
}

export type ToWorker =
  | { kind: 'load'; source: ModelSource }
  | { kind: 'generate'; prompt: string; maxTokens: number; sampling: DemoSampling }
  /** End the running generation after the token in flight (handled at once, not queued). */
  | { kind: 'stop' };

export type FromWorker =
  /** `backend`: the onnxruntime-web backend running the step graph ('wasm', …), as pickBackend chose it, and why. */
  | { kind: 'loaded'; source: ModelSource; layers: number; loadMs: number; modelBytes: number; sha256: string; backend: string; backendWhy: string }
  /** `firstTokenMs`: from the request to the first generated token (the prompt is fed step by step first). */
  | { kind: 'token'; text: string; generated: number; tokensPerSecond: number; firstTokenMs: number }
  | { kind: 'done'; text: string; generated: number; tokensPerSecond: number; promptBytes: number; firstTokenMs: number; stopped: boolean }
  | { kind: 'error'; message: string };
