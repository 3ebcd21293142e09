import { isComplex } from '../types.js';
import { inType, TypeInferenceError, type InferRule } from './context.js';

/**
 * Rules for the onnxruntime contrib ops (com.microsoft) ssmc emits for onnxruntime targets.
 * RotaryEmbedding: the output has the input's type; the caches are 2-D of one shape.
 */
export const CONTRIB_RULES: Record<string, InferRule> = {
  RotaryEmbedding: (node) => {
    const x = inType(node, 0), cos = inType(node, 2), sin = inType(node, 3);
    if (isComplex(x.dtype)) throw new TypeInferenceError(node, 'input 0 must be real');
    const rank = x.shape?.length;
    if (rank !== undefined && rank !== 3 && rank !== 4) throw new TypeInferenceError(node, `input 0 must be 3-D [batch, seq, hidden] or 4-D [batch, heads, seq, head], got rank ${rank}`);
    for (const [name, t] of [['cos_cache', cos], ['sin_cache', sin]] as const) {
      if (t.dtype !== x.dtype) throw new TypeInferenceError(node, `${name} must be ${x.dtype} like the input, got ${t.dtype}`);
      if (t.shape && t.shape.length !== 2) throw new TypeInferenceError(node, `${name} must be 2-D [max_position, rotary_dim/2], got rank ${t.shape.length}`);
    }
    return [x];
  },
};
