import { defineArch } from './arch.js';
import type { ArgSchema } from './args.js';
import { GSS_LAYER_ARGS, gssDims, gssLayer } from './gss.js';
import { randn, uniformFanIn } from './init.js';
import { positionwise, sequential } from './layer.js';
import { linear } from './layers.js';

const schema = {
  num_tokens: { kind: 'int', default: null, min: 1, doc: 'vocabulary size V' },
  depth: { kind: 'int', default: null, min: 1, max: 1024, doc: 'number of GSS layers (at most 1024: the parameter list alone grows with it)' },
  ...GSS_LAYER_ARGS,
} as const satisfies ArgSchema;

/**
 * lucidrains `GatedStateSpacesLM` (ssm-math.md §4.3): token embedding, `depth` GSS layers, and
 * to_logits without bias and without a final norm. Token ids int64 [B,L] → logits [B,L,V].
 */
export const gssLm = defineArch({
  id: 'gss-lm',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/gss.py GatedStateSpacesLM',
  schema,
  layer(args) {
    const d = gssDims(args), V = args.num_tokens;
    const embedding = positionwise({
      params: () => [{ name: 'token_emb.weight', shape: [V, d.E], dtype: 'float32' }],
      init: (rng) => [['token_emb.weight', randn(rng, [V, d.E])]],
      // [B,L] token ids → [B,L,E], or [B] → [B,E] in step mode.
      apply: ({ b, params }, ids) => b.op('Gather', [params.real('token_emb.weight'), ids], { axis: 0 }),
    });
    const toLogits = positionwise({
      params: () => [{ name: 'to_logits.weight', shape: [V, d.E], dtype: 'float32' }],
      init: (rng) => [['to_logits.weight', uniformFanIn(rng, [V, d.E], d.E)]],
      apply: ({ b, params }, x) => linear(b, x, params.real('to_logits.weight'), null),
    });
    const layers = Array.from({ length: args.depth }, (_, i) => gssLayer(`layers.${i}.`, d, args.dss_kernel_lambda_imag_exp));
    return sequential([embedding, ...layers, toLogits]);
  },
  io(args) {
    const V = args.num_tokens;
    return { inputDtype: 'int64', inputShape: (L) => ['batch', L], outputShape: (L) => ['batch', L, V], step: { input: ['batch'], output: ['batch', V] }, layout: 'BL', vocab: V };
  },
});
