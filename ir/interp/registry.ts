import { ONNX_DOMAIN } from '../node.js';
import type { Kernel, KernelDef } from './kernel.js';
import { Abs } from './ops/abs.js';
import { Add } from './ops/add.js';
import { And } from './ops/and.js';
import { ArgMax } from './ops/arg-max.js';
import { ArgMin } from './ops/arg-min.js';
import { Atan } from './ops/atan.js';
import { Cast } from './ops/cast.js';
import { Ceil } from './ops/ceil.js';
import { Concat } from './ops/concat.js';
import { Constant } from './ops/constant.js';
import { ConstantOfShape } from './ops/constant-of-shape.js';
import { Conv } from './ops/conv.js';
import { Cos } from './ops/cos.js';
import { CumSum } from './ops/cum-sum.js';
import { DFT } from './ops/dft.js';
import { Div } from './ops/div.js';
import { Elu } from './ops/elu.js';
import { Equal } from './ops/equal.js';
import { Erf } from './ops/erf.js';
import { Exp } from './ops/exp.js';
import { Expand } from './ops/expand.js';
import { Flatten } from './ops/flatten.js';
import { Floor } from './ops/floor.js';
import { Gather } from './ops/gather.js';
import { GatherElements } from './ops/gather-elements.js';
import { Gelu } from './ops/gelu.js';
import { RotaryEmbedding } from './ops/rotary-embedding.js';
import { Gemm } from './ops/gemm.js';
import { Greater } from './ops/greater.js';
import { GreaterOrEqual } from './ops/greater-or-equal.js';
import { Identity } from './ops/identity.js';
import { If } from './ops/if.js';
import { LayerNormalization } from './ops/layer-normalization.js';
import { Less } from './ops/less.js';
import { LessOrEqual } from './ops/less-or-equal.js';
import { Log } from './ops/log.js';
import { LogSoftmax } from './ops/log-softmax.js';
import { Loop } from './ops/loop.js';
import { MatMul } from './ops/mat-mul.js';
import { Max } from './ops/max.js';
import { Min } from './ops/min.js';
import { Mod } from './ops/mod.js';
import { Mul } from './ops/mul.js';
import { Neg } from './ops/neg.js';
import { Not } from './ops/not.js';
import { Or } from './ops/or.js';
import { Pad } from './ops/pad.js';
import { PadV1 } from './ops/pad-v1.js';
import { PadV2 } from './ops/pad-v2.js';
import { Pow } from './ops/pow.js';
import { Range } from './ops/range.js';
import { Reciprocal } from './ops/reciprocal.js';
import { ReduceMax } from './ops/reduce-max.js';
import { ReduceMean } from './ops/reduce-mean.js';
import { ReduceMin } from './ops/reduce-min.js';
import { ReduceSum } from './ops/reduce-sum.js';
import { Relu } from './ops/relu.js';
import { Reshape } from './ops/reshape.js';
import { Scan } from './ops/scan.js';
import { ScanV8 } from './ops/scan-v8.js';
import { Shape } from './ops/shape.js';
import { Sigmoid } from './ops/sigmoid.js';
import { Sign } from './ops/sign.js';
import { Sin } from './ops/sin.js';
import { Size } from './ops/size.js';
import { Slice } from './ops/slice.js';
import { SliceV1 } from './ops/slice-v1.js';
import { Softmax } from './ops/softmax.js';
import { Softplus } from './ops/softplus.js';
import { ScatterElements } from './ops/scatter-elements.js';
import { Split } from './ops/split.js';
import { Sqrt } from './ops/sqrt.js';
import { Squeeze } from './ops/squeeze.js';
import { Sub } from './ops/sub.js';
import { Sum } from './ops/sum.js';
import { Tanh } from './ops/tanh.js';
import { Tile } from './ops/tile.js';
import { TopK } from './ops/top-k.js';
import { Transpose } from './ops/transpose.js';
import { Unsqueeze } from './ops/unsqueeze.js';
import { Where } from './ops/where.js';
import { CausalAttention } from './ops/ssmc/causal-attention.js';
import { Complex } from './ops/ssmc/complex.js';
import { Conj } from './ops/ssmc/conj.js';
import { Discretize } from './ops/ssmc/discretize.js';
import { DiagSSMStep } from './ops/ssmc/diag-ssm-step.js';
import { Imag } from './ops/ssmc/imag.js';
import { LongConv } from './ops/ssmc/long-conv.js';
import { Real } from './ops/ssmc/real.js';
import { Vandermonde } from './ops/ssmc/vandermonde.js';

/**
 * The interpreter's kernels by domain, op and opset form. Registering the same (domain, op,
 * since) twice throws: two files claiming one op is a bug, not a choice of which one wins.
 */
export class KernelRegistry {
  /** Per `domain::op`, its forms sorted by `since`. */
  private readonly forms = new Map<string, KernelDef[]>();

  register(def: KernelDef): void {
    if (!Number.isInteger(def.since) || def.since < 1) throw new Error(`internal: kernel ${def.domain || 'ai.onnx'}.${def.op}: since must be an opset ≥ 1, got ${def.since}`);
    const key = `${def.domain}::${def.op}`;
    const list = this.forms.get(key) ?? [];
    if (list.some((d) => d.since === def.since)) throw new Error(`internal: kernel ${def.domain || 'ai.onnx'}.${def.op} (since opset ${def.since}) registered twice`);
    list.push(def);
    list.sort((a, b) => a.since - b.since);
    this.forms.set(key, list);
  }

  /** The form of `op` for a model at `opset` (the newest one not newer), or undefined. */
  find(domain: string, op: string, opset = Infinity): Kernel | undefined {
    const list = this.forms.get(`${domain === 'ai.onnx' ? ONNX_DOMAIN : domain}::${op}`);
    if (!list) return undefined;
    let found: KernelDef | undefined;
    for (const d of list) if (d.since <= opset || d.domain !== ONNX_DOMAIN) found = d;
    return found?.kernel;
  }

  /** The first opset each op of `domain` has a kernel for, by op name. */
  sinceByOp(domain: string): Map<string, number> {
    const prefix = `${domain === 'ai.onnx' ? ONNX_DOMAIN : domain}::`;
    const out = new Map<string, number>();
    for (const [key, list] of this.forms) if (key.startsWith(prefix)) out.set(key.slice(prefix.length), list[0]!.since);
    return out;
  }

  available(domain: string): string[] {
    return [...this.sinceByOp(domain).keys()].sort();
  }
}

export function kernelRegistry(defs: readonly KernelDef[]): KernelRegistry {
  const r = new KernelRegistry();
  for (const d of defs) r.register(d);
  return r;
}

/**
 * Every kernel, one line each (one op per file in ops/, opset forms as `-vN` siblings). The
 * ai.ssmc kernels come straight from their definitions in ir/ssm-ops.ts: slow, obviously
 * correct, float64 — the oracle every lowering is checked against.
 */
export const ALL_KERNELS: readonly KernelDef[] = [
  Abs, Add, And, ArgMax, ArgMin, Atan, Cast, Ceil, Concat, Constant, ConstantOfShape, Conv, Cos, CumSum,
  DFT, Div, Elu, Equal, Erf, Exp, Expand, Flatten, Floor, Gather, GatherElements, Gelu, Gemm, Greater,
  GreaterOrEqual, Identity, If, LayerNormalization, Less, LessOrEqual, Log, LogSoftmax, Loop, MatMul, Max,
  Min, Mod, Mul, Neg, Not, Or, Pad, PadV1, PadV2, Pow, Range, Reciprocal, ReduceMax, ReduceMean,
  ReduceMin, ReduceSum, Relu, Reshape, Scan, ScanV8, ScatterElements, Shape, Sigmoid, Sign, Sin, Size, Slice, SliceV1,
  Softmax, Softplus, Split, Sqrt, Squeeze, Sub, Sum, Tanh, Tile, TopK, Transpose, Unsqueeze, Where,
  CausalAttention, Complex, Conj, DiagSSMStep, Discretize, Imag, LongConv, Real, Vandermonde,
  RotaryEmbedding, // com.microsoft
];

export const KERNELS = kernelRegistry(ALL_KERNELS);
