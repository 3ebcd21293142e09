import type { Builder } from '../ir/builder.js';
import { Builder as IrBuilder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { ONNX_DOMAIN, SSMC_DOMAIN, type Node } from '../ir/node.js';
import { f32 } from '../ir/tensor.js';
import { isComplex } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import type { Pass } from './pass.js';

/** A complex value as two real ones; `im === null` means an imaginary part of exactly zero. */
interface Pair {
  re: Value;
  im: Value | null;
}

/** Ops applied to the real and imaginary parts alike (only input 0 is complex). */
const STRUCTURAL = new Set(['Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Slice', 'Gather', 'Expand', 'Identity', 'ReduceSum', 'Tile']);

export const SUPPORTED_COMPLEX_OPS = [
  'ai.ssmc.Complex', 'ai.ssmc.Real', 'ai.ssmc.Imag', 'ai.ssmc.Conj', 'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Exp', 'Log', 'MatMul', 'Concat',
  ...STRUCTURAL,
];

class ComplexLowering {
  private readonly pairs = new Map<Value, Pair>();
  private readonly graph: Graph;

  constructor(private readonly model: Model) {
    this.graph = model.graph;
  }

  run(): boolean {
    const graph = this.graph;
    for (const v of graph.inputs) if (isComplex(v.type.dtype)) throw new Error(`graph input '${v.name}' is complex; graph interfaces must be real`);
    for (const v of graph.outputs) if (isComplex(v.type.dtype)) throw new Error(`graph output '${v.name}' is complex; graph interfaces must be real (take Real/Imag first)`);
    const complexNodes: Node[] = [];
    let changed = false;
    for (const node of [...graph.nodes]) {
      const touches = node.inputs.some((v) => v && isComplex(v.type.dtype)) || node.outputs.some((v) => isComplex(v.type.dtype));
      if (!touches) continue;
      changed = true;
      const b = new IrBuilder(graph, this.model.opset, node);
      const result = this.lowerNode(b, node);
      node.outputs.forEach((out, i) => {
        const r = result[i]!;
        if (isComplex(out.type.dtype)) this.pairs.set(out, r as Pair);
        else graph.replaceAllUsesWith(out, (r as Pair).re, true);
      });
      if (node.outputs.every((v) => !isComplex(v.type.dtype))) graph.removeNode(node);
      else complexNodes.push(node);
    }
    // Every consumer now reads the real pairs: the complex producers and constants are dead.
    for (const node of complexNodes.reverse()) graph.removeNode(node);
    for (const v of [...graph.initializers]) if (isComplex(v.type.dtype) && v.uses.length === 0) graph.removeInitializer(v);
    return changed;
  }

  private pair(b: Builder, v: Value): Pair {
    if (!isComplex(v.type.dtype)) return { re: v, im: null };
    const known = this.pairs.get(v);
    if (known) return known;
    if (v.constant) {
      const data = v.constant.data as Float32Array;
      const n = data.length / 2;
      const re = new Float32Array(n), im = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        re[i] = data[2 * i]!;
        im[i] = data[2 * i + 1]!;
      }
      const p = {
        re: this.graph.addInitializer(this.graph.freshName(`${v.name}.re`), f32(re, v.constant.dims)),
        im: this.graph.addInitializer(this.graph.freshName(`${v.name}.im`), f32(im, v.constant.dims)),
      };
      this.pairs.set(v, p);
      return p;
    }
    throw new Error(`internal: complex value '${v.name}' has no real pair yet`);
  }

  private zerosLike(b: Builder, x: Value): Value {
    return b.op('ConstantOfShape', [b.op('Shape', [x])], { value: f32([0], [1]) });
  }

  private imOrZero(b: Builder, p: Pair): Value {
    return p.im ?? this.zerosLike(b, p.re);
  }

  /** Broadcast `x` to the shape of `like` when their static shapes differ (or are unknown). */
  private fit(b: Builder, x: Value, like: Value): Value {
    const a = x.type.shape, c = like.type.shape;
    const same = a !== null && c !== null && a.length === c.length && a.every((d, i) => d === c[i] && d !== null);
    return same ? x : b.op('Expand', [x, b.op('Shape', [like])]);
  }

  private lowerNode(b: Builder, node: Node): (Pair | { re: Value; im: null })[] {
    const op = node.domain === SSMC_DOMAIN ? `ai.ssmc.${node.op}` : node.domain === ONNX_DOMAIN ? node.op : node.qualifiedOp;
    const p = (i: number) => this.pair(b, node.input(i));
    switch (op) {
      case 'ai.ssmc.Complex': {
        const re = node.input(0), im = node.input(1);
        const sum = b.add(re, im); // only for its broadcast shape; dead unless a side needs expanding
        const out = { re: this.fit(b, re, sum), im: this.fit(b, im, sum) };
        if (sum.uses.length === 0) this.graph.removeNode(sum.producer!);
        return [out];
      }
      case 'ai.ssmc.Real': return [{ re: p(0).re, im: null }];
      case 'ai.ssmc.Imag': return [{ re: this.imOrZero(b, p(0)), im: null }];
      case 'ai.ssmc.Conj': return [{ re: p(0).re, im: p(0).im && b.neg(p(0).im!) }];
      case 'Neg': return [{ re: b.neg(p(0).re), im: p(0).im && b.neg(p(0).im!) }];
      case 'Add':
      case 'Sub': {
        const x = p(0), y = p(1);
        const re = b.op(op, [x.re, y.re]);
        let im: Value | null;
        if (x.im && y.im) im = b.op(op, [x.im, y.im]);
        else if (x.im) im = this.fit(b, x.im, re);
        else if (y.im) im = this.fit(b, op === 'Sub' ? b.neg(y.im) : y.im, re);
        else im = null;
        return [{ re, im }];
      }
      case 'Mul': {
        const x = p(0), y = p(1);
        if (x.im && y.im) {
          return [{ re: b.sub(b.mul(x.re, y.re), b.mul(x.im, y.im)), im: b.add(b.mul(x.re, y.im), b.mul(x.im, y.re)) }];
        }
        const re = b.mul(x.re, y.re);
        const im = x.im ? b.mul(x.im, y.re) : y.im ? b.mul(x.re, y.im) : null;
        return [{ re, im }];
      }
      case 'Div': {
        const x = p(0), y = p(1);
        if (!y.im) return [{ re: b.div(x.re, y.re), im: x.im && b.div(x.im, y.re) }];
        const den = b.add(b.mul(y.re, y.re), b.mul(y.im, y.im));
        const xi = x.im;
        const re = xi ? b.add(b.mul(x.re, y.re), b.mul(xi, y.im)) : b.mul(x.re, y.re);
        const im = xi ? b.sub(b.mul(xi, y.re), b.mul(x.re, y.im)) : b.neg(b.mul(x.re, y.im));
        return [{ re: b.div(re, den), im: b.div(im, den) }];
      }
      case 'Exp': {
        const x = p(0);
        const e = b.exp(x.re);
        if (!x.im) return [{ re: e, im: null }];
        return [{ re: b.mul(e, b.op('Cos', [x.im])), im: b.mul(e, b.op('Sin', [x.im])) }];
      }
      case 'Log': {
        const x = p(0);
        const im = this.imOrZero(b, x);
        const mag2 = b.add(b.mul(x.re, x.re), b.mul(im, im));
        return [{ re: b.mul(b.op('Log', [mag2]), b.f32(0.5)), im: atan2(b, im, x.re) }];
      }
      case 'MatMul': {
        const x = p(0), y = p(1);
        if (x.im && y.im) {
          return [{
            re: b.sub(b.matmul(x.re, y.re), b.matmul(x.im, y.im)),
            im: b.add(b.matmul(x.re, y.im), b.matmul(x.im, y.re)),
          }];
        }
        return [{ re: b.matmul(x.re, y.re), im: x.im ? b.matmul(x.im, y.re) : y.im ? b.matmul(x.re, y.im) : null }];
      }
      case 'Concat': {
        const parts = node.inputs.map((_, i) => p(i));
        const axis = node.attrInt('axis');
        return [{ re: b.concat(parts.map((q) => q.re), axis), im: b.concat(parts.map((q) => this.imOrZero(b, q)), axis) }];
      }
      default:
        if (STRUCTURAL.has(op)) {
          const x = p(0);
          const rest = node.inputs.slice(1);
          const attrs = Object.fromEntries(node.attrs);
          const apply = (v: Value) => b.node(node.op, [v, ...rest], attrs, 1)[0]!;
          return [{ re: apply(x.re), im: x.im && apply(x.im) }];
        }
        throw new Error(`node '${node.name}' (${node.qualifiedOp}) has a complex operand, but lower-complex supports only ${SUPPORTED_COMPLEX_OPS.join(', ')}`);
    }
  }
}

/** atan2(y, x) from Atan and Where (ONNX has no Atan2), exact on every quadrant and axis. */
function atan2(b: Builder, y: Value, x: Value): Value {
  const zero = b.f32(0);
  const base = b.op('Atan', [b.div(y, x)]);
  const pi = b.f32(Math.PI), halfPi = b.f32(Math.PI / 2);
  const yNonNeg = b.op('GreaterOrEqual', [y, zero]);
  const left = b.add(base, b.op('Where', [yNonNeg, pi, b.neg(pi)])); // x < 0
  const onAxis = b.op('Where', [b.op('Greater', [y, zero]), halfPi, b.op('Where', [b.op('Less', [y, zero]), b.neg(halfPi), zero])]);
  return b.op('Where', [b.op('Greater', [x, zero]), base, b.op('Where', [b.op('Less', [x, zero]), left, onAxis])]);
}

export const lowerComplexPass: Pass = {
  name: 'lower-complex',
  description: 'every complex64 value → a (re, im) pair of float32 values',
  run: (model) => new ComplexLowering(model).run(),
  ensures: (model) => {
    const v = [...model.graph.values()].find((x) => isComplex(x.type.dtype));
    return v ? `complex value '${v.name}' remains` : null;
  },
};

