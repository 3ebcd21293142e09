import type { Builder } from '../../../ir/builder.js';
import { f32, type Tensor } from '../../../ir/tensor.js';
import type { Value } from '../../../ir/value.js';
import { constant, randn, uniformFanIn } from '../init.js';
import { identity, positionwise, prefixed, type Layer, type LayerContext, type ParamSpec, type Prefixed } from '../layer.js';
import { activation, glu, gluGate, isGlu, layerNorm, linear } from '../layers.js';
import type { Rng } from '../rng.js';
import type { NormSpec, ResidualSpec } from './spec.js';

/**
 * The position-wise pieces of the state-spaces/s4 pipeline, features last ([B, L, F] or [B, F]):
 * norms, FFN, Linear, residual functions, each with its tensors under the module's state_dict
 * prefix.
 */

const f32Spec = (name: string, shape: number[]): ParamSpec => ({ name, shape, dtype: 'float32' });

/** Mean over the last axis, kept (ReduceMean takes its axes as an input from opset 18). */
export function meanLastAxis(b: Builder, x: Value): Value {
  return b.opset >= 18 ? b.op('ReduceMean', [x, b.i64([-1], undefined, 'axes')], { keepdims: 1 }) : b.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
}

/** nn.Linear(dIn → dOut) on the last axis: `<prefix>weight` [dOut, dIn] and `<prefix>bias` [dOut]. */
export function linearLayer(dIn: number, dOut: number, prefix: string, bias = true): Layer {
  const p = prefixed(prefix);
  return positionwise({
    params: () => [f32Spec(p('weight'), [dOut, dIn]), ...(bias ? [f32Spec(p('bias'), [dOut])] : [])],
    init: (rng) => [[p('weight'), uniformFanIn(rng, [dOut, dIn], dIn)], ...(bias ? [[p('bias'), uniformFanIn(rng, [dOut], dIn)] as [string, Tensor]] : [])],
    apply: ({ b, params }, x) => linear(b, x, params.real(p('weight')), bias ? params.real(p('bias')) : null),
  });
}

/**
 * `Normalization(d, transposed, norm)` (src/models/nn/normalization.py) at `prefix`, its module
 * under `norm.` (a block's keys read `<block>norm.norm.weight`).
 */
export function normLayer(spec: NormSpec, d: number, prefix: string): Layer {
  const p = prefixed(`${prefix}norm.`);
  switch (spec.kind) {
    case 'none':
      return identity;
    case 'layer':
      return positionwise({
        params: () => (spec.affine ? [f32Spec(p('weight'), [d]), f32Spec(p('bias'), [d])] : []),
        init: () => (spec.affine ? [[p('weight'), constant([d], 1)], [p('bias'), constant([d], 0)]] : []),
        apply: ({ b, params }, x) => spec.affine
          ? layerNorm(b, x, params.real(p('weight')), params.real(p('bias')), spec.eps)
          : layerNorm(b, x, b.f32(new Array<number>(d).fill(1), [d], 'ones'), b.f32(new Array<number>(d).fill(0), [d], 'zeros'), spec.eps),
      });
    case 'transposed-ln':
      return positionwise({
        params: () => [f32Spec(p('ln.weight'), [d]), f32Spec(p('ln.bias'), [d])],
        init: () => [[p('ln.weight'), constant([d], 1)], [p('ln.bias'), constant([d], 0)]],
        apply: ({ b, params }, x) => layerNorm(b, x, params.real(p('ln.weight')), params.real(p('ln.bias'))),
      });
    case 'transposed-scalar':
      // TransposedLN: y = (s/σ)·(x − μ + m), μ and the biased σ over the features, no eps.
      return positionwise({
        params: () => [f32Spec(p('m'), [1]), f32Spec(p('s'), [1])],
        init: () => [[p('m'), constant([1], 0)], [p('s'), constant([1], 1)]],
        apply: ({ b, params }, x) => {
          const centred = b.sub(x, meanLastAxis(b, x));
          const sigma = b.op('Sqrt', [meanLastAxis(b, b.mul(centred, centred))]);
          return b.mul(b.div(params.real(p('s')), sigma), b.add(centred, params.real(p('m'))));
        },
      });
    case 'batch':
      return batchNorm(spec.eps, spec.affine, d, p);
  }
}

/**
 * nn.BatchNorm1d in eval: (x − running_mean)/√(running_var + eps)·weight + bias per channel,
 * folded in float64 into one scale and shift (`num_batches_tracked` only counts training steps).
 */
function batchNorm(eps: number, affine: boolean, d: number, p: Prefixed): Layer {
  return positionwise({
    params: () => [
      ...(affine ? [f32Spec(p('weight'), [d]), f32Spec(p('bias'), [d])] : []),
      f32Spec(p('running_mean'), [d]), f32Spec(p('running_var'), [d]),
      { name: p('num_batches_tracked'), shape: [], dtype: 'int64' },
    ],
    init: () => [
      ...(affine ? [[p('weight'), constant([d], 1)], [p('bias'), constant([d], 0)]] as [string, Tensor][] : []),
      [p('running_mean'), constant([d], 0)], [p('running_var'), constant([d], 1)],
      [p('num_batches_tracked'), { dtype: 'int64', dims: [], data: BigInt64Array.of(0n) }],
    ],
    apply: ({ b, params }, x) => {
      const mean = params.floats(p('running_mean')), variance = params.floats(p('running_var'));
      const w = affine ? params.floats(p('weight')) : null, bias = affine ? params.floats(p('bias')) : null;
      const scale = new Float64Array(d), shift = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        scale[i] = (w ? w[i]! : 1) / Math.sqrt(variance[i]! + eps);
        shift[i] = (bias ? bias[i]! : 0) - mean[i]! * scale[i]!;
      }
      const init = (name: string, v: Float64Array) => b.initializer(b.graph.freshName(p(name)), f32(v, [d]));
      return b.add(b.mul(x, init('folded_scale', scale)), init('folded_shift', shift));
    },
  });
}

/**
 * FFN (src/models/sequence/modules/ffn.py) at `prefix`: Linear(H → d_inner) with its activation,
 * then Linear(d_inner → H). The first Linear sits in nn.Sequential(linear, act) (`ff.0.0.*`)
 * unless the activation is null; GLU activations double its width and halve it back.
 */
export function ffnLayer(dModel: number, dInner: number, act: string | null, prefix: string): Layer {
  const p = prefixed(prefix);
  const first = act === null ? 'ff.0' : 'ff.0.0';
  const wide = act !== null && isGlu(act) ? 2 * dInner : dInner;
  return positionwise({
    params: () => [f32Spec(p(`${first}.weight`), [wide, dModel]), f32Spec(p(`${first}.bias`), [wide]), f32Spec(p('ff.2.weight'), [dModel, dInner]), f32Spec(p('ff.2.bias'), [dModel])],
    init: (rng) => [
      [p(`${first}.weight`), uniformFanIn(rng, [wide, dModel], dModel)], [p(`${first}.bias`), uniformFanIn(rng, [wide], dModel)],
      [p('ff.2.weight'), uniformFanIn(rng, [dModel, dInner], dInner)], [p('ff.2.bias'), uniformFanIn(rng, [dModel], dInner)],
    ],
    apply: ({ b, params }, x) => {
      const z = linear(b, x, params.real(p(`${first}.weight`)), params.real(p(`${first}.bias`)));
      const hidden = act !== null && isGlu(act) ? glu(b, z, -1, wide, gluGate(act)) : activation(b, z, act);
      return linear(b, hidden, params.real(p('ff.2.weight')), params.real(p('ff.2.bias')));
    },
  });
}

/** A residual function's own tensors (under `<block>residual.`), as a layer that only holds them. */
export function residualTensors(spec: ResidualSpec, d: number, prefix: string): Layer {
  const p = prefixed(`${prefix}residual.`);
  const holder = (params: ParamSpec[], init: (rng: Rng) => [string, Tensor][]): Layer => positionwise({ params: () => params, init, apply: (_c, x) => x });
  switch (spec.kind) {
    case 'constant':
      return identity;
    case 'affine':
      return holder([f32Spec(p('affine'), [spec.scalar ? 1 : d])], () => [[p('affine'), constant([spec.scalar ? 1 : d], 1)]]);
    case 'highway': {
      const wy = spec.elemwise ? [f32Spec(p('Wy'), [d])] : [f32Spec(p('Wy.weight'), [d, d]), f32Spec(p('Wy.bias'), [d])];
      return holder([f32Spec(p('Wx.weight'), [d, d]), f32Spec(p('Wx.bias'), [d]), ...wy], (rng) => [
        [p('Wx.weight'), uniformFanIn(rng, [d, d], d)], [p('Wx.bias'), uniformFanIn(rng, [d], d)],
        ...(spec.elemwise ? [[p('Wy'), randn(rng, [d])] as [string, Tensor]] : [[p('Wy.weight'), uniformFanIn(rng, [d, d], d)], [p('Wy.bias'), uniformFanIn(rng, [d], d)]] as [string, Tensor][]),
      ]);
    }
  }
}

/** The residual function (src/models/nn/residual.py) of the block at `prefix`, of its input x and its layer's output y. */
export function applyResidual(ctx: LayerContext, spec: ResidualSpec, prefix: string, x: Value, y: Value): Value {
  const { b, params } = ctx;
  const p = prefixed(`${prefix}residual.`);
  const scaled = (v: Value, c: number) => (c === 1 ? v : b.mul(v, b.f32(c)));
  switch (spec.kind) {
    case 'constant': {
      const yy = scaled(y, spec.beta);
      return spec.alpha === 0 ? yy : b.add(scaled(x, spec.alpha), yy);
    }
    case 'affine':
      return b.add(scaled(x, spec.alpha), b.mul(params.real(p('affine')), y));
    case 'highway': {
      // The official forward rebinds y to Wy(y) before the sum: the gate mixes x with Wy·y, not y.
      const wy = spec.elemwise ? b.mul(params.real(p('Wy')), y) : linear(b, y, params.real(p('Wy.weight')), params.real(p('Wy.bias')));
      const r = b.op('Sigmoid', [b.add(linear(b, x, params.real(p('Wx.weight')), params.real(p('Wx.bias'))), wy)]);
      return b.add(b.mul(scaled(b.sub(b.f32(1), r), spec.scalingCorrection), x), b.mul(r, wy));
    }
  }
}
