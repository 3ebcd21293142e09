import { ONNX_DOMAIN, SSMC_DOMAIN } from '../ir/node.js';
import type { Value } from '../ir/value.js';

/**
 * A complex value read straight from a float32 tensor that holds its (re, im) parts along one axis
 * of size 2: v = Complex(Gather(s, 0, axis a), Gather(s, 1, axis a)) — how step graphs read their
 * states (src/state-io.ts). Returns s and a (non-negative), or null for any other complex value.
 */
export function packedSource(v: Value): { source: Value; axis: number } | null {
  const p = v.producer;
  if (!p || p.domain !== SSMC_DOMAIN || p.op !== 'Complex') return null;
  const parts = [0, 1].map((i) => {
    const g = p.inputs[i]?.producer;
    const idx = g?.inputs[1]?.constant;
    if (!g || g.op !== 'Gather' || g.domain !== ONNX_DOMAIN || !idx || idx.dims.length !== 0 || Number((idx.data as BigInt64Array)[0]) !== i) return null;
    const shape = g.input(0).type.shape;
    if (!shape) return null;
    const axis = g.attrInt('axis', 0);
    const a = axis < 0 ? axis + shape.length : axis;
    return a >= 0 && a < shape.length && shape[a] === 2 ? { source: g.input(0), axis: a } : null;
  });
  const [re, im] = parts;
  return re && im && re.source === im.source && re.axis === im.axis ? re : null;
}
