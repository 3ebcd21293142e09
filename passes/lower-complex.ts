import { Builder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import type { Model } from '../ir/model.js';
import { COMPLEX_ORIGIN, ONNX_DOMAIN, SSMC_DOMAIN, type Node } from '../ir/node.js';
import { f32, type Tensor } from '../ir/tensor.js';
import { isComplex, type Dim } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { eliminateDeadCode } from './dce.js';
import { changed, type Pass } from './pass.js';

/**
 * A complex value as two float32 values of the complex value's full shape; `im === null` means an
 * imaginary part of exactly zero (a promoted real), which saves the work on a known zero.
 */
interface Pair {
  re: Value;
  im: Value | null;
}

/**
 * Ops that act on the real and imaginary parts alike: only input 0 is complex, the other inputs
 * (shapes, indices, axes) are real and are shared by both halves.
 */
const STRUCTURAL = new Set([
  'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Slice', 'Gather', 'Expand', 'Tile', 'Flatten', 'Split',
  'ReduceSum', 'ReduceMean',
]);

/** Ops that read only the shape of their complex input (the real part has the same shape). */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

export const SUPPORTED_COMPLEX_OPS = [
  'ai.ssmc.Complex', 'ai.ssmc.Real', 'ai.ssmc.Imag', 'ai.ssmc.Conj', 'Constant', 'Identity',
  'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Exp', 'Log', 'MatMul', 'Concat', ...STRUCTURAL, ...SHAPE_ONLY,
];

/** Same static shape: equal rank and every dim the same number or the same symbol. */
function sameShape(a: readonly Dim[] | null, b: readonly Dim[] | null): boolean {
  return a !== null && b !== null && a.length === b.length && a.every((d, i) => d !== null && d === b[i]);
}

function touchesComplex(node: Node): boolean {
  return node.inputs.some((v) => v !== null && isComplex(v.type.dtype)) || node.outputs.some((v) => isComplex(v.type.dtype));
}

/** The first node inside a subgraph of `node` (at any depth) that reads or makes a complex value. */
function complexInSubgraph(node: Node): Node | null {
  for (const a of node.attrs.values()) {
    const graphs = a.kind === 'graph' ? [a.value] : a.kind === 'graphs' ? a.value : [];
    for (const g of graphs) {
      for (const n of g.nodes) {
        if (touchesComplex(n)) return n;
        const deeper = complexInSubgraph(n);
        if (deeper) return deeper;
      }
    }
  }
  return null;
}

class ComplexLowering {
  private readonly pairs = new Map<Value, Pair>();
  private readonly graph: Graph;

  constructor(private readonly model: Model) {
    this.graph = model.graph;
  }

  run(): boolean {
    const graph = this.graph;
    this.checkPreconditions();
    // What no output needs is not lowered (its complex constants — a kernel table a lowering
    // made dead — are never split, nor computed where they are lazy).
    let changed = eliminateDeadCode(graph);
    const complexProducers: Node[] = [];
    for (const node of [...graph.nodes]) {
      if (!touchesComplex(node)) continue;
      changed = true;
      const b = new Builder(graph, this.model.opset, node);
      // The real pairs are SSM math (kernels, spectra, states): they keep where they came from.
      const result = graph.withOrigin(node.origin ?? COMPLEX_ORIGIN, () => this.lowerNode(b, node));
      node.outputs.forEach((out, i) => {
        const r = result[i]!;
        if (isComplex(out.type.dtype)) this.pairs.set(out, r);
        else this.replaceReal(b, out, r.re);
      });
      // A node with complex outputs still has complex consumers; they are lowered later in this
      // sweep, after which nothing reads the node any more.
      if (node.outputs.some((v) => isComplex(v.type.dtype))) complexProducers.push(node);
      else graph.removeNode(node);
    }
    for (const node of complexProducers.reverse()) graph.removeNode(node);
    for (const v of [...graph.initializers]) {
      if (isComplex(v.type.dtype) && v.uses.length === 0) graph.removeInitializer(v);
    }
    return changed;
  }

  /** Graph interfaces are real, complex128 is not computed with, and subgraphs stay real. */
  private checkPreconditions(): void {
    const graph = this.graph;
    for (const v of graph.inputs) {
      if (isComplex(v.type.dtype)) throw new Error(`graph input '${v.name}' is complex; graph interfaces must be real (feed re and im separately)`);
    }
    for (const v of graph.outputs) {
      if (isComplex(v.type.dtype)) throw new Error(`graph output '${v.name}' is complex; graph interfaces must be real (take Real/Imag first)`);
    }
    for (const v of graph.values()) {
      if (v.type.dtype === 'complex128') throw new Error(`value '${v.name}' is complex128; lower-complex lowers complex64 only`);
    }
    for (const node of graph.nodes) {
      const inner = complexInSubgraph(node);
      if (inner) {
        throw new Error(`node '${inner.name}' (${inner.qualifiedOp}) inside a subgraph of '${node.name}' (${node.qualifiedOp}) uses a complex value; lower-complex lowers the main graph only`);
      }
    }
  }

  /**
   * Point the uses of a real result at its lowered value. A graph output keeps its public name:
   * when the lowered value cannot take that name (it is a graph input, an initializer or already
   * another output) an Identity carries it.
   */
  private replaceReal(b: Builder, out: Value, by: Value): void {
    const graph = this.graph;
    const target = graph.isOutput(out) && (by.producer === null || graph.isOutput(by)) ? b.op('Identity', [by]) : by;
    graph.replaceAllUsesWith(out, target, true);
  }

  private pair(v: Value): Pair {
    if (!isComplex(v.type.dtype)) return { re: v, im: null };
    const known = this.pairs.get(v);
    if (known) return known;
    if (v.constant) {
      const p = this.splitConstant(v.constant, v.name, `complex initializer '${v.name}'`);
      this.pairs.set(v, p);
      return p;
    }
    throw new Error(`internal: complex value '${v.name}' has no real pair yet`);
  }

  /** Interleaved (re, im) complex64 data → two float32 initializers `<name>.re` and `<name>.im`. */
  private splitConstant(t: Tensor, name: string, what: string): Pair {
    if (!(t.data instanceof Float32Array)) {
      throw new Error(`${what} has no inline complex64 data (external or raw bytes); lower-complex cannot split it`);
    }
    const data = t.data;
    const n = data.length / 2;
    const re = new Float32Array(n), im = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      re[i] = data[2 * i]!;
      im[i] = data[2 * i + 1]!;
    }
    return {
      re: this.graph.addInitializer(`${name}.re`, f32(re, t.dims)),
      im: this.graph.addInitializer(`${name}.im`, f32(im, t.dims)),
    };
  }

  private zerosLike(b: Builder, x: Value): Value {
    return b.op('ConstantOfShape', [b.op('Shape', [x])], { value: f32([0], [1]) });
  }

  private imOrZero(b: Builder, p: Pair): Value {
    return p.im ?? this.zerosLike(b, p.re);
  }

  /**
   * `x` broadcast against `other` (Expand broadcasts both ways), unless `x` statically already has
   * the result's shape `dims`.
   */
  private broadcast(b: Builder, x: Value, dims: readonly Dim[] | null, other: Value): Value {
    return sameShape(x.type.shape, dims) ? x : b.op('Expand', [x, b.op('Shape', [other])]);
  }

  private lowerNode(b: Builder, node: Node): Pair[] {
    const op = node.domain === SSMC_DOMAIN ? `ai.ssmc.${node.op}` : node.domain === ONNX_DOMAIN || node.domain === 'ai.onnx' ? node.op : node.qualifiedOp;
    const p = (i: number) => this.pair(node.input(i));
    const outShape = node.outputs[0]?.type.shape ?? null;
    switch (op) {
      case 'ai.ssmc.Complex': {
        // Both parts must carry the full (broadcast) shape: a scalar imaginary part is expanded.
        const re = node.input(0), im = node.input(1);
        return [{ re: this.broadcast(b, re, outShape, im), im: this.broadcast(b, im, outShape, re) }];
      }
      case 'ai.ssmc.Real': return [{ re: p(0).re, im: null }];
      case 'ai.ssmc.Imag': return [{ re: this.imOrZero(b, p(0)), im: null }];
      case 'ai.ssmc.Conj': {
        const x = p(0);
        return [{ re: x.re, im: x.im && b.neg(x.im) }];
      }
      case 'Identity': return [p(0)];
      case 'Constant': {
        const a = node.attrs.get('value');
        if (a?.kind === 'tensor' && a.value.dtype === 'complex64') return [this.splitConstant(a.value, node.outputs[0]!.name, `node '${node.name}' (Constant)`)];
        break;
      }
      case 'Neg': {
        const x = p(0);
        return [{ re: b.neg(x.re), im: x.im && b.neg(x.im) }];
      }
      case 'Add':
      case 'Sub': {
        // A real operand has imaginary part 0: the other operand's part passes (negated for Sub).
        const x = p(0), y = p(1);
        const re = b.op(op, [x.re, y.re]);
        let im: Value | null = null;
        if (x.im && y.im) im = b.op(op, [x.im, y.im]);
        else if (x.im) im = this.broadcast(b, x.im, re.type.shape, re);
        else if (y.im) im = this.broadcast(b, op === 'Sub' ? b.neg(y.im) : y.im, re.type.shape, re);
        return [{ re, im }];
      }
      case 'Mul': {
        const x = p(0), y = p(1);
        if (x.im && y.im) {
          return [{ re: b.sub(b.mul(x.re, y.re), b.mul(x.im, y.im)), im: b.add(b.mul(x.re, y.im), b.mul(x.im, y.re)) }];
        }
        return [{ re: b.mul(x.re, y.re), im: x.im ? b.mul(x.im, y.re) : y.im ? b.mul(x.re, y.im) : null }];
      }
      case 'Div': {
        // x / y = x·conj(y) / |y|²; a real divisor divides both parts.
        const x = p(0), y = p(1);
        if (!y.im) return [{ re: b.div(x.re, y.re), im: x.im && b.div(x.im, y.re) }];
        const den = b.add(b.mul(y.re, y.re), b.mul(y.im, y.im));
        const re = x.im ? b.add(b.mul(x.re, y.re), b.mul(x.im, y.im)) : b.mul(x.re, y.re);
        const im = x.im ? b.sub(b.mul(x.im, y.re), b.mul(x.re, y.im)) : b.neg(b.mul(x.re, y.im));
        return [{ re: b.div(re, den), im: b.div(im, den) }];
      }
      case 'Exp': {
        // e^(a+ib) = e^a (cos b + i sin b)
        const x = p(0);
        const e = b.exp(x.re);
        if (!x.im) return [{ re: e, im: null }];
        return [{ re: b.mul(e, b.op('Cos', [x.im])), im: b.mul(e, b.op('Sin', [x.im])) }];
      }
      case 'Log': {
        // Principal branch: log|z| + i·atan2(im, re), with log|z| = ½·log(re² + im²).
        const x = p(0);
        const im = this.imOrZero(b, x);
        const mag2 = b.add(b.mul(x.re, x.re), b.mul(im, im));
        return [{ re: b.mul(b.op('Log', [mag2]), b.f32(0.5, [], 'half')), im: atan2(b, im, x.re) }];
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
        const re = b.concat(parts.map((q) => q.re), axis);
        const im = parts.some((q) => q.im) ? b.concat(parts.map((q) => this.imOrZero(b, q)), axis) : null;
        return [{ re, im }];
      }
      default:
        if (SHAPE_ONLY.has(op) && node.inputs.length === 1) {
          return [{ re: b.op(node.op, [p(0).re], Object.fromEntries(node.attrs)), im: null }];
        }
        if (STRUCTURAL.has(op) && node.inputs.slice(1).every((v) => !v || !isComplex(v.type.dtype))) {
          const x = p(0);
          const rest = node.inputs.slice(1);
          const attrs = Object.fromEntries(node.attrs);
          const apply = (v: Value) => b.node(node.op, [v, ...rest], attrs, node.outputs.length);
          const re = apply(x.re);
          const im = x.im ? apply(x.im) : null;
          return re.map((r, i) => ({ re: r, im: im ? im[i]! : null }));
        }
    }
    throw new Error(`node '${node.name}' (${node.qualifiedOp}) has a complex operand or result, but lower-complex supports only ${SUPPORTED_COMPLEX_OPS.join(', ')}`);
  }
}

/**
 * atan2(y, x) from Atan and Where (ONNX has no Atan2), right on every quadrant and on both axes:
 * the negative real axis (y = 0, x < 0) gives +π, so log(−r) = log r + iπ as in the principal
 * branch. (Division by x = 0 makes Inf/NaN only in a branch that Where discards.)
 */
function atan2(b: Builder, y: Value, x: Value): Value {
  const zero = b.f32(0, [], 'zero');
  const base = b.op('Atan', [b.div(y, x)]);
  const yNeg = b.op('Less', [y, zero]);
  const leftHalf = b.add(base, b.op('Where', [yNeg, b.f32(-Math.PI, [], 'neg_pi'), b.f32(Math.PI, [], 'pi')]));
  const onImagAxis = b.op('Where', [
    b.op('Greater', [y, zero]), b.f32(Math.PI / 2, [], 'half_pi'),
    b.op('Where', [yNeg, b.f32(-Math.PI / 2, [], 'neg_half_pi'), zero]),
  ]);
  return b.op('Where', [b.op('Greater', [x, zero]), base, b.op('Where', [b.op('Less', [x, zero]), leftHalf, onImagAxis])]);
}

export const lowerComplexPass: Pass = {
  name: 'lower-complex',
  description: 'every complex64 value → a (re, im) pair of float32 values',
  run: (model) => changed(new ComplexLowering(model).run()),
  ensures: (model) => {
    const v = [...model.graph.values()].find((x) => isComplex(x.type.dtype));
    return v ? `complex value '${v.name}' remains` : null;
  },
  establishes: { noComplex: true },
};
