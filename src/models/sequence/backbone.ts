import { composite, hasRecurrence, identity, sequential, type Layer } from '../layer.js';
import { applyResidual, linearLayer, normLayer, residualTensors } from './pieces.js';
import type { BackboneSpec, BlockSpec, LayerSpec } from './spec.js';

/**
 * `SequenceModel` (src/models/sequence/backbones/model.py) under `model.`: its residual blocks
 * `model.layers.<i>.` and, with pre-norm, the final `model.norm.`. Features last throughout:
 * `transposed` only chose which LayerNorm class the norms are (already in the spec), never the
 * math of a layer. `inner` builds a block's layer under the prefix it is given.
 */
export function backboneLayer(bb: BackboneSpec, inner: (l: LayerSpec, prefix: string) => Layer): Layer {
  const blocks = bb.blocks.map((bl) => residualBlock(bl, bb, `model.layers.${bl.index}.`, inner));
  const final = bb.finalNorm ? normLayer(bb.finalNorm, bb.dModel, 'model.norm.') : identity;
  return sequential([...blocks, final]);
}

/**
 * `SequenceResidualBlock` (backbones/block.py) at `prefix`: norm (pre or post), the layer, with the
 * backbone's `bidirectional` a second copy of the layer on the same input (not reversed) mixed back
 * by `bidirectional_linear`, the residual function; pool with stride 1 is the identity.
 */
function residualBlock(spec: BlockSpec, bb: BackboneSpec, prefix: string, inner: (l: LayerSpec, prefix: string) => Layer): Layer {
  const H = bb.dModel;
  const norm = spec.norm ? normLayer(spec.norm, H, `${prefix}norm.`) : null;
  const layer = located(inner(spec.layer, `${prefix}layer.`), `${prefix}layer (${spec.layer.kind})`);
  const reverse = bb.bidirectional ? located(inner(spec.layer, `${prefix}reverse_layer.`), `${prefix}reverse_layer (${spec.layer.kind})`) : null;
  const mix = bb.bidirectional ? linearLayer(2 * H, H, `${prefix}bidirectional_linear.`) : null;
  const residual = spec.residual ? residualTensors(spec.residual, H, prefix) : null;
  const parts = [norm, layer, reverse, mix, residual].filter((p): p is Layer => p !== null);
  return composite(parts, (ctx, x, run) => {
    const y = norm && bb.prenorm ? run(norm, x) : x;
    let out = run(layer, y);
    if (reverse && mix) out = run(mix, ctx.b.concat([out, run(reverse, y)], -1));
    if (spec.residual) out = applyResidual(ctx, spec.residual, prefix, x, out);
    return norm && !bb.prenorm ? run(norm, out) : out;
  });
}

/** A layer whose missing recurrence is reported with the module that lacks it. */
function located(layer: Layer, where: string): Layer {
  return hasRecurrence(layer.recurrence) ? layer : { ...layer, recurrence: { none: `${where}: ${layer.recurrence.none}` } };
}
