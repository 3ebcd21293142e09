import { modelToBytes, Rng } from 'ssmc';
import { Builder, type Dim, type Discretization, discretizeOp, evaluateModel, f32, fromTensor, longConv, Model, type RTensor, SSMC_DOMAIN, type Tensor, tensorType, type Value } from 'ssmc/ir';
import { runOnnx } from 'ssmc/runtime';

export function newModel(opset = 17): { model: Model; b: Builder } {
  const model = new Model(opset);
  model.opsetImports.set(SSMC_DOMAIN, 1);
  return { model, b: new Builder(model.graph, opset) };
}

export function input(model: Model, name: string, shape: Dim[]): Value {
  return model.graph.addInput(name, tensorType('float32', shape));
}

export function randomTensor(dims: number[], seed: number, scale = 1): Tensor {
  const rng = new Rng(seed);
  return f32(Array.from({ length: dims.reduce((a, c) => a * c, 1) }, () => scale * rng.normal()), dims);
}

export function evalF64(model: Model, feeds: Record<string, Tensor>): Map<string, RTensor> {
  return evaluateModel(model, Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, fromTensor(v)])));
}

export async function runOrt(model: Model, feeds: Record<string, Tensor>): Promise<Map<string, Tensor>> {
  return runOnnx(modelToBytes(model), new Map(Object.entries(feeds)), { optimizations: 'disabled' });
}

export function opsOf(model: Model): string[] {
  return model.graph.nodes.map((n) => n.qualifiedOp);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * The diagonal SSM kernel K [C,H,L] = scale·Re Σ_n coef·exp(λ·l) of (dt, A, BC) as the models
 * compose it for a taps lowering: Discretize, then Vandermonde.
 */
export function diagKernel(b: Builder, dt: Value, A: Value, BC: Value, L: Value, disc: Discretization, scale: number): Value {
  const { lambda, coef } = discretizeOp(b, dt, A, BC, disc);
  return b.ssm('Vandermonde', [lambda, coef, L], { scale: { kind: 'float', value: scale } });
}

/** LongConv(u, k[, k_rev]) with its kernel given as taps, tagged with `lowering` as select-lowering would. */
export function tapsConv(b: Builder, u: Value, k: Value, kRev: Value | null, lowering: string | null = 'dft'): Value {
  const y = longConv(b, { kernel: 'taps', u, k, kRev });
  if (lowering !== null) y.producer!.attrs.set('lowering', { kind: 'string', value: lowering });
  return y;
}
