import type { Builder } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { MS_DOMAIN, SSMC_DOMAIN, type Node } from '../ir/node.js';
import type { Value } from '../ir/value.js';
import { DEFAULT_TARGET, findTarget, TARGETS, type RuntimeTarget } from './conv/targets.js';
import { packedSource } from './packed-complex.js';
import { changed, type CompileTarget, type Pass } from './pass.js';
import { noneLeft, rewriteNodes } from './rewrite.js';

/**
 * DiagSSMStep(x, u, λ, coef){scale} → (y, x_next):
 *   x_next = x ⊙ exp(λ) + u            u [B,H] broadcast over the modes
 *   y      = scale · Re Σ_n coef ⊙ x_next   coef [C,H,N] against x_next [B,1,H,N]
 * A state read from a planar interface tensor [B,H,2,N] (src/state-layout.ts) is updated as that
 * tensor (lowerPlanar); any other state in complex elementwise ops (lower-complex then splits
 * them into real pairs).
 */
function lowerDiagStep(b: Builder, node: Node, rotary: boolean): Value[] {
  const [x, u, lambda, coef] = [0, 1, 2, 3].map((i) => node.input(i)) as [Value, Value, Value, Value];
  const scale = node.attrFloat('scale', 1);
  const packed = packedSource(x);
  if (packed && packed.axis === 2 && packed.source.type.shape?.length === 4) return lowerPlanar(b, packed.source, u, lambda, coef, scale, rotary);
  const next = b.add(b.mul(x, b.exp(lambda)), b.unsqueeze(u, [2])); // [B,H,N]
  const prod = b.mul(b.unsqueeze(coef, [0]), b.unsqueeze(next, [1])); // [B,C,H,N]
  const y = b.ssm('Real', [b.op('ReduceSum', [prod, b.i64([3], undefined, 'axes')], { keepdims: 0 })]); // [B,C,H]
  return [scale === 1 ? y : b.mul(y, b.f32(scale)), next];
}

/**
 * The step on the planar state s [B,H,2,N] (the real parts of a channel's modes, then their
 * imaginary parts) in real whole-tensor ops, with μ = exp(λ):
 *   s' = s ⊙ P + swap(s) ⊙ Q + (u, 0)      P = (Re μ, Re μ), Q = (−Im μ, Im μ) per plane,
 *                                          swap(s) = the planes exchanged (a Gather of [1, 0])
 *   y  = Σ_{plane, n} s' ⊙ W                W = scale · (Re coef, −Im coef)
 * P, Q and W depend on the parameters only and fold into constants. Every op reads or writes the
 * state whole (no split into parts, no Concat back): five passes over it where the complex form
 * takes a dozen. With `rotary` (onnxruntime targets), s ⊙ P + swap(s) ⊙ Q is one RotaryEmbedding.
 */
function lowerPlanar(b: Builder, s: Value, u: Value, lambda: Value, coef: Value, scale: number, rotary: boolean): Value[] {
  const planes = (re: Value, im: Value) => b.concat([b.unsqueeze(re, [-2]), b.unsqueeze(im, [-2])], -2); // [...,2,N]
  const mu = b.exp(lambda); // [H,N] or [N]
  const muRe = b.ssm('Real', [mu]), muIm = b.ssm('Imag', [mu]);
  const input = b.op('Pad', [b.unsqueeze(u, [2, 3]), b.i64([0, 0, 0, 0, 0, 0, 1, 0], undefined, 'pads')]); // [B,H,2,1]: (u, 0)
  const [H, , N] = s.type.shape!.slice(1);
  const next = rotary && typeof H === 'number' && typeof N === 'number'
    ? b.add(rotated(b, s, muRe, muIm, H, N), input)
    : b.add(b.add(b.mul(s, planes(muRe, muRe)), b.mul(swappedPlanes(b, s), planes(b.neg(muIm), muIm))), input); // [B,H,2,N]
  const W = planes(b.mul(b.ssm('Real', [coef]), b.f32(scale)), b.mul(b.ssm('Imag', [coef]), b.f32(-scale))); // [C,H,2,N]
  const C = coef.type.shape?.[0];
  const axes = (a: number[]) => b.i64(a, undefined, 'axes');
  const y = C === 1
    ? b.unsqueeze(b.op('ReduceSum', [b.mul(next, b.squeeze(W, [0])), axes([2, 3])], { keepdims: 0 }), [1]) // [B,1,H]
    : b.op('ReduceSum', [b.mul(b.unsqueeze(next, [1]), W), axes([3, 4])], { keepdims: 0 }); // [B,C,H]
  const part = (i: number) => b.op('Gather', [next, b.i64(i, [], 'part')], { axis: 2 });
  return [y, b.ssm('Complex', [part(0), part(1)])];
}

/**
 * s ⊙ P + swap(s) ⊙ Q with standard ops: P = (Re μ, Re μ), Q = (−Im μ, Im μ) per plane, swap(s)
 * the planes exchanged. A Gather of the planes in reverse order copies rows of N contiguous values;
 * onnxruntime's reversed Slice steps element by element (the slowest op of the update on gss-code).
 * (One variadic Sum in place of the two Adds writes the new state once but measured no faster:
 * onnxruntime's Sum with a broadcast input is slower per element than Add.)
 */
function swappedPlanes(b: Builder, s: Value): Value {
  return b.op('Gather', [s, b.i64([1, 0], [2], 'swap')], { axis: 2 });
}

/**
 * μ ⊙ s as onnxruntime's RotaryEmbedding: the op rotates each pair (x_i, x_{i+d/2}) of a head's d
 * values to (x_i·cos_i − x_{i+d/2}·sin_i, x_{i+d/2}·cos_i + x_i·sin_i) — a complex multiply of
 * (re, im) by cos + i·sin, and a planar channel [2,N] is such a head with its real parts first.
 * The caches need not hold unit vectors: cos = Re μ, sin = Im μ. Viewed as [1, B, H, 2N] (batch
 * 1, B heads, H positions), position h reads row h, so per-channel modes [H,N] are the caches
 * themselves (shared modes [N] are repeated H times) and one start position 0 serves any batch.
 * One kernel replaces the exchange, two products and their sum: three fewer passes over the
 * state, 0.81 → 0.73 ms of CPU a token on gss-code, 25.1 → 18.2 ms a step at batch 32
 * (`node dist/bench/step-latency.js`).
 */
function rotated(b: Builder, s: Value, muRe: Value, muIm: Value, H: number, N: number): Value {
  const cache = (x: Value) => b.op('Expand', [x, b.i64([H, N], undefined, 'cache_shape')]); // [H,N]
  const heads = b.reshape(s, [1, -1, H, 2 * N]);
  const turned = b.op('RotaryEmbedding', [heads, b.i64([0], [1], 'first_position'), cache(muRe), cache(muIm)], { interleaved: 0 }, { domain: MS_DOMAIN });
  return b.reshape(turned, [-1, H, 2, N]);
}

/** Whether a step graph's planar update may take RotaryEmbedding: the runtime has it (every onnxruntime target), and the graph need not be portable. */
function rotaryFor(target: CompileTarget, targets: readonly RuntimeTarget[]): boolean {
  if (target.portable || target.customOps) return false; // custom ops' bodies run on every runtime
  const runtime = findTarget(target.runtime ?? DEFAULT_TARGET.id, targets);
  return runtime?.contribOps?.includes('RotaryEmbedding') ?? false;
}

/** The pass for runtimes named from `targets` (default: passes/conv/targets.ts). */
export function lowerDiagStepPassWith(targets: readonly RuntimeTarget[] = TARGETS): Pass {
  return {
    name: 'lower-diag-step',
    description: 'DiagSSMStep → exp(λ)·x + u and the coefficient sum (step graphs; on a planar state, real whole-tensor ops)',
    run: (model: Model, target: CompileTarget) => {
      const rotary = rotaryFor(target, targets);
      const done = rewriteNodes(model, SSMC_DOMAIN, 'DiagSSMStep', (b, node) => lowerDiagStep(b, node, rotary));
      if (rotary && model.graph.nodes.some((n) => n.domain === MS_DOMAIN)) model.opsetImports.set(MS_DOMAIN, 1);
      return changed(done);
    },
    ensures: (model) => noneLeft(model, SSMC_DOMAIN, 'DiagSSMStep'),
  };
}

export const lowerDiagStepPass: Pass = lowerDiagStepPassWith();
