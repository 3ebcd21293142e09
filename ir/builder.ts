import type { Attr, AttrInput } from './attr.js';
import { Graph } from './graph.js';
import { inferNode } from './infer/index.js';
import { ONNX_DOMAIN, SSMC_DOMAIN, type Node } from './node.js';
import { f32, i64, type Tensor } from './tensor.js';
import type { Value } from './value.js';

export interface OpOptions {
  domain?: string;
  name?: string;
  outputNames?: string[];
}

/** Converts builder-friendly attribute values into typed attributes. */
export function toAttr(v: AttrInput): Attr {
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'float', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (v instanceof Graph) return { kind: 'graph', value: v };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') return { kind: 'strings', value: v as string[] };
    return { kind: 'ints', value: v as number[] };
  }
  if ('kind' in v) return v;
  return { kind: 'tensor', value: v as Tensor };
}

/**
 * Builds nodes into a graph, in order, at an insertion point (append, or before a given node), and
 * infers each new node's output types at once so every value always has a type. Nodes are made
 * in the builder's current scope (`within`), the module path of the model they belong to.
 */
export class Builder {
  constructor(
    readonly graph: Graph,
    readonly opset: number,
    /** Insert new nodes before this node; null appends. */
    public before: Node | null = null,
    /**
     * The scope new nodes get. By default that of the node they are inserted before: a lowering
     * builds its replacement in the scope of the node it replaces.
     */
    private current: string = before?.scope ?? '',
  ) {}

  /** The scope new nodes get: '/'-separated segments, '' at the top. */
  get scope(): string {
    return this.current;
  }

  /** Build with `segment` appended to the scope ('layers.3' then 'dss' → 'layers.3/dss'); restored afterwards. */
  within<T>(segment: string, build: () => T): T {
    if (segment === '' || segment.includes('/')) throw new Error(`internal: scope segment '${segment}' must be non-empty and without '/'`);
    const outer = this.current;
    this.current = outer ? `${outer}/${segment}` : segment;
    try {
      return build();
    } finally {
      this.current = outer;
    }
  }

  /** Create a node with `numOutputs` outputs and return them. */
  node(op: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrInput> = {}, numOutputs = 1, opts: OpOptions = {}): Value[] {
    const typed: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) typed[k] = toAttr(v);
    const node = this.graph.createNode(opts.domain ?? ONNX_DOMAIN, op, inputs, typed, numOutputs, {
      name: opts.name,
      scope: this.current,
      before: this.before,
      outputNames: opts.outputNames,
    });
    try {
      inferNode(node, this.opset);
    } catch (e) {
      this.graph.removeNode(node); // a refused node leaves nothing behind
      throw e;
    }
    return node.outputs;
  }

  /** Create a single-output node and return its output. */
  op(op: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrInput> = {}, opts: OpOptions = {}): Value {
    return this.node(op, inputs, attrs, 1, opts)[0]!;
  }

  ssm(op: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrInput> = {}, opts: OpOptions = {}): Value {
    return this.op(op, inputs, attrs, { ...opts, domain: SSMC_DOMAIN });
  }

  initializer(name: string, t: Tensor): Value {
    return this.graph.addInitializer(name, t);
  }

  /** A float32 constant. */
  f32(values: number[] | number, dims?: number[], name = 'const'): Value {
    const arr = typeof values === 'number' ? [values] : values;
    return this.graph.addInitializer(this.graph.freshName(name), f32(arr, dims ?? (typeof values === 'number' ? [] : [arr.length])));
  }

  /** An int64 constant (1-D unless dims say otherwise). */
  i64(values: number[] | number, dims?: number[], name = 'const'): Value {
    const arr = typeof values === 'number' ? [values] : values;
    return this.graph.addInitializer(this.graph.freshName(name), i64(arr, dims ?? (typeof values === 'number' ? [] : [arr.length])));
  }

  // Small helpers for the ops the compiler emits most. Each is exactly one ONNX node.
  add(a: Value, b: Value): Value { return this.op('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.op('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.op('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.op('Div', [a, b]); }
  neg(a: Value): Value { return this.op('Neg', [a]); }
  exp(a: Value): Value { return this.op('Exp', [a]); }
  matmul(a: Value, b: Value): Value { return this.op('MatMul', [a, b]); }
  transpose(a: Value, perm: number[]): Value { return this.op('Transpose', [a], { perm }); }
  reshape(a: Value, shape: number[] | Value): Value {
    return this.op('Reshape', [a, Array.isArray(shape) ? this.i64(shape, undefined, 'shape') : shape]);
  }
  unsqueeze(a: Value, axes: number[]): Value {
    return this.opset >= 13 ? this.op('Unsqueeze', [a, this.i64(axes, undefined, 'axes')]) : this.op('Unsqueeze', [a], { axes });
  }
  squeeze(a: Value, axes: number[]): Value {
    return this.opset >= 13 ? this.op('Squeeze', [a, this.i64(axes, undefined, 'axes')]) : this.op('Squeeze', [a], { axes });
  }
  concat(vs: Value[], axis: number): Value { return this.op('Concat', vs, { axis }); }
  cast(a: Value, to: number): Value { return this.op('Cast', [a], { to }); }
  /**
   * 0, 1, …, count − 1 as float32 [count], for an int64 scalar `count`: a float Range (exact up to
   * 2^24). A GPU provider generates it on the device from the count on the host; an int64 Range
   * cast to float would run on the CPU and copy its result to the device.
   */
  positions(count: Value): Value {
    return this.op('Range', [this.f32(0, [], 'zero'), this.cast(count, 1), this.f32(1, [], 'one')]);
  }
  /** Slice along given axes with constant starts/ends (and optional steps). */
  slice(a: Value, starts: number[] | Value, ends: number[] | Value, axes: number[], steps?: number[]): Value {
    const s = Array.isArray(starts) ? this.i64(starts, undefined, 'starts') : starts;
    const e = Array.isArray(ends) ? this.i64(ends, undefined, 'ends') : ends;
    const inputs: Value[] = [a, s, e, this.i64(axes, undefined, 'axes')];
    if (steps) inputs.push(this.i64(steps, undefined, 'steps'));
    return this.op('Slice', inputs);
  }
  /** Dimension `axis` of `a` as an int64 scalar (Shape → Gather). */
  dim(a: Value, axis: number): Value {
    const shape = this.op('Shape', [a]);
    return this.op('Gather', [shape, this.i64(axis, [], 'axis')], { axis: 0 });
  }
}
