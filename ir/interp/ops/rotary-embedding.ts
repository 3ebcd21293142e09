import { MS_DOMAIN } from '../../node.js';
import { need, where, type KernelDef } from '../kernel.js';
import { rt } from '../rtensor.js';

/**
 * com.microsoft.RotaryEmbedding (onnxruntime's contrib op): rotates pairs of each head's first
 * `rotary_embedding_dim` values by the angle of its position,
 *   (x₁, x₂) → (x₁·cos − x₂·sin, x₂·cos + x₁·sin)
 * pairs being (i, i + d/2) or, `interleaved`, (2i, 2i + 1); cos and sin are rows of the caches
 * [max_position, d/2] picked by position. The input is [B, S, hidden] (heads side by side, of
 * `num_heads`, else hidden / (2·cache width)) or [B, heads, S, head]; `position_ids` is one start
 * (position = start + s) or [B, S]. Nothing requires cos² + sin² = 1: ssmc uses the op for a
 * complex multiply by any μ (passes/lower-diag-step.ts).
 */
export const RotaryEmbedding: KernelDef = {
  domain: MS_DOMAIN,
  op: 'RotaryEmbedding',
  since: 1,
  kernel: (inputs, node) => {
    const x = need(inputs, 0, node), pos = need(inputs, 1, node), cos = need(inputs, 2, node), sin = need(inputs, 3, node);
    const fail = (rule: string) => { throw new Error(`${where(node)}: ${rule}`); };
    if (x.dims.length !== 3 && x.dims.length !== 4) fail(`input 0 must be [batch, seq, hidden] or [batch, heads, seq, head], got [${x.dims}]`);
    if (cos.dims.length !== 2 || sin.dims.length !== 2 || cos.dims[0] !== sin.dims[0] || cos.dims[1] !== sin.dims[1]) fail(`cos_cache and sin_cache must be 2-D of one shape [max_position, rotary_dim/2], got [${cos.dims}] and [${sin.dims}]`);
    if (node.attrInt('is_packed_batching', 0) !== 0) fail('is_packed_batching is not supported by the reference interpreter');
    const [maxPos, half] = cos.dims as [number, number];
    const transposed = x.dims.length === 4;
    const B = x.dims[0]!, S = transposed ? x.dims[2]! : x.dims[1]!;
    const hidden = transposed ? x.dims[1]! * x.dims[3]! : x.dims[2]!;
    const rotaryAttr = node.attrInt('rotary_embedding_dim', 0);
    const numHeadsAttr = node.attrInt('num_heads', 0);
    if (rotaryAttr > 0 && numHeadsAttr === 0) fail('num_heads must be given with rotary_embedding_dim');
    const headSize = transposed ? x.dims[3]! : rotaryAttr === 0 ? (numHeadsAttr > 0 ? hidden / numHeadsAttr : 2 * half) : hidden / numHeadsAttr;
    const rotary = rotaryAttr > 0 ? rotaryAttr : headSize;
    if (!Number.isInteger(headSize) || hidden % headSize !== 0) fail(`hidden size ${hidden} is not a whole number of heads of ${headSize}`);
    if (rotary > headSize || rotary !== 2 * half) fail(`the caches' width ${half} must be half the rotated dims (${rotary}, at most the head size ${headSize})`);
    const heads = hidden / headSize;
    const oneStart = pos.data.length === 1;
    if (!oneStart && (pos.dims.length !== 2 || pos.dims[0] !== B || pos.dims[1] !== S)) fail(`position_ids must hold one start or be [batch, seq] = [${B}, ${S}], got [${pos.dims}]`);
    const interleaved = node.attrInt('interleaved', 0) !== 0;
    const out = rt(x.dtype, x.dims, Float64Array.from(x.data));
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < S; s++) {
        const p = oneStart ? pos.data[0]! + s : pos.data[b * S + s]!;
        if (!Number.isInteger(p) || p < 0 || p >= maxPos) fail(`position ${p} (batch ${b}, seq ${s}) is outside the caches' ${maxPos} rows`);
        for (let h = 0; h < heads; h++) {
          const base = transposed ? ((b * heads + h) * S + s) * headSize : (b * S + s) * hidden + h * headSize;
          for (let i = 0; i < half; i++) {
            const c = cos.data[p * half + i]!, sn = sin.data[p * half + i]!;
            const i1 = base + (interleaved ? 2 * i : i), i2 = base + (interleaved ? 2 * i + 1 : i + half);
            const a = x.data[i1]!, d = x.data[i2]!;
            out.data[i1] = a * c - d * sn;
            out.data[i2] = d * c + a * sn;
          }
        }
      }
    }
    return [out];
  },
};
