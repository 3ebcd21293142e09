import { defineArch } from './arch.js';
import type { ArgSchema } from './args.js';
import { GSS_LAYER_ARGS, gssDims, gssLayer } from './gss.js';
import { tokenLm, tokenLmIo } from './gss-variants/token-lm.js';

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
    const d = gssDims(args);
    return tokenLm(args.num_tokens, d.E, Array.from({ length: args.depth }, (_, i) => gssLayer(`layers.${i}.`, d, args.dss_kernel_lambda_imag_exp)));
  },
  io: (args) => tokenLmIo(args.num_tokens),
});
