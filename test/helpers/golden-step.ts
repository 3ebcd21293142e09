import { compileModel, modelToBytes, readStates, runSteps, zeroStates } from 'ssmc';
import { f32, type Model, type Tensor } from 'ssmc/ir';
import type { OrtBackend } from 'ssmc/runtime';
import { goldenCase, goldenIo, goldenWeights, modelFileFor } from './golden.js';

/** Golden cases whose official code has a step mode, with the output it produced stepping. */
export const GOLDEN_STEP_CASES: [string, string][] = [['s4d_lin_zoh', 'output_step'], ['s4d_inv_bilinear', 'output_step'], ['s4_dplr_legs', 'output_step_linear'], ['s4_dplr_legs', 'output_step_dense']];

/**
 * A golden case's step graph, run in `backend` position by position over the golden input
 * [B,L,H] from zero states; the outputs reassembled as [B,L,H], with the case's reference outputs.
 * `runtime`: the compile target it is planned for (ssmc compile --target; default ort-cpu).
 */
export async function runGoldenSteps(backend: OrtBackend, name: string, opset: number, runtime?: string): Promise<{ model: Model; y: Float32Array; io: Map<string, Tensor>; backendName: string }> {
  const c = goldenCase(name);
  const io = goldenIo(c);
  const [B, L, H] = c.input.shape as [number, number, number];
  const x = io.get('input')!.data as Float32Array;
  const { model } = compileModel(modelFileFor(c), { tensors: goldenWeights(c), source: name }, { seqLen: null, opset, mode: 'step', runtime });
  const specs = readStates(model);
  const session = await backend.createSession(modelToBytes(model));
  const at = (t: number) => f32(Array.from({ length: B * H }, (_, i) => x[(Math.floor(i / H) * L + t) * H + (i % H)]!), [B, H]);
  try {
    const { outputs } = await runSteps(session, specs, L, at, zeroStates(specs, B));
    const y = new Float32Array(B * L * H);
    outputs.forEach((o, t) => (o.data as Float32Array).forEach((v, i) => (y[(Math.floor(i / H) * L + t) * H + (i % H)] = v)));
    return { model, y, io, backendName: session.backend };
  } finally {
    await session.release();
  }
}
