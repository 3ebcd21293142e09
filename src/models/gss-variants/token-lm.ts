import type { ModelIo } from '../arch.js';
import { randn, uniformFanIn } from '../init.js';
import { positionwise, sequential, type Layer } from '../layer.js';
import { linear } from '../layers.js';

/**
 * The language-model shell of lucidrains' GSS repository (GatedStateSpacesLM and its siblings):
 * `token_emb` (nn.Embedding), the blocks, `to_logits` (nn.Linear without bias, no final norm).
 * Token ids int64 [B,L] → logits [B,L,V]; in step mode ids [B] → logits [B,V].
 */
export function tokenLm(V: number, E: number, blocks: readonly Layer[]): Layer {
  const embedding = positionwise({
    params: () => [{ name: 'token_emb.weight', shape: [V, E], dtype: 'float32' }],
    init: (rng) => [['token_emb.weight', randn(rng, [V, E])]],
    apply: ({ b, params }, ids) => b.op('Gather', [params.real('token_emb.weight'), ids], { axis: 0 }),
  });
  const toLogits = positionwise({
    params: () => [{ name: 'to_logits.weight', shape: [V, E], dtype: 'float32' }],
    init: (rng) => [['to_logits.weight', uniformFanIn(rng, [V, E], E)]],
    apply: ({ b, params }, x) => linear(b, x, params.real('to_logits.weight'), null),
  });
  return sequential([embedding, ...blocks, toLogits]);
}

export function tokenLmIo(V: number): ModelIo {
  return { inputDtype: 'int64', inputShape: (L) => ['batch', L], outputShape: (L) => ['batch', L, V], step: { input: ['batch'], output: ['batch', V] }, layout: 'BL', vocab: V };
}

/** A single block's interface: [B,L,E] → [B,L,E], one position [B,E]. */
export function blockIo(E: number): ModelIo {
  const shape = (L: string | number | null) => ['batch', L, E];
  return { inputDtype: 'float32', inputShape: shape, outputShape: shape, step: { input: ['batch', E], output: ['batch', E] }, layout: 'BLE' };
}
