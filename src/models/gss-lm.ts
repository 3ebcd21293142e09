import type { ArchDef } from './arch.js';
import { bool, int } from './args.js';
import { randn, uniformFanIn } from './init.js';
import { linear } from './layers.js';
import { GSS_LAYER_ARGS, gssDims, gssLayer, gssLayerInit, gssLayerParams } from './gss.js';

/**
 * lucidrains `GatedStateSpacesLM` (ssm-math.md §4.3): token embedding, `depth` GSS layers, and
 * to_logits without bias and without a final norm. Token ids int64 [B,L] → logits [B,L,V].
 */
export const gssLm: ArchDef = {
  id: 'gss-lm',
  official: 'lucidrains/gated-state-spaces-pytorch gated_state_spaces_pytorch/gss.py GatedStateSpacesLM',
  schema: {
    num_tokens: { kind: 'int', default: null, min: 1, doc: 'vocabulary size V' },
    depth: { kind: 'int', default: null, min: 1, max: 1024, doc: 'number of GSS layers (at most 1024: the parameter list alone grows with it)' },
    ...GSS_LAYER_ARGS,
  },
  params(args) {
    const d = gssDims(args), V = int(args, 'num_tokens');
    return [
      { name: 'token_emb.weight', shape: [V, d.E], dtype: 'float32' },
      ...Array.from({ length: int(args, 'depth') }, (_, i) => gssLayerParams(`layers.${i}.`, d)).flat(),
      { name: 'to_logits.weight', shape: [V, d.E], dtype: 'float32' },
    ];
  },
  init(args, rng) {
    const d = gssDims(args), V = int(args, 'num_tokens');
    return new Map([
      ['token_emb.weight', randn(rng, [V, d.E])],
      ...Array.from({ length: int(args, 'depth') }, (_, i) => gssLayerInit(`layers.${i}.`, d, rng)).flat(),
      ['to_logits.weight', uniformFanIn(rng, [V, d.E], d.E)],
    ]);
  },
  io(args) {
    const V = int(args, 'num_tokens');
    return { inputDtype: 'int64', inputShape: (L) => ['batch', L], outputShape: (L) => ['batch', L, V], layout: 'BL' };
  },
  build({ b, args, params, input, step, prefill }) {
    const d = gssDims(args);
    let x = b.op('Gather', [params.real('token_emb.weight'), input], { axis: 0 }); // [B,L,E], or [B,E] in step mode
    for (let i = 0; i < int(args, 'depth'); i++) {
      x = gssLayer(b, params, `layers.${i}.`, x, d, bool(args, 'dss_kernel_lambda_imag_exp'), false, step, prefill);
    }
    return linear(b, x, params.real('to_logits.weight'), null);
  },
  stepIo(args) {
    return { input: ['batch'], output: ['batch', int(args, 'num_tokens')] };
  },
};
