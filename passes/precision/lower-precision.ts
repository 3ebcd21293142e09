import { Builder } from '../../ir/builder.js';
import type { Graph } from '../../ir/graph.js';
import { fromTensor, toTensor } from '../../ir/interp/rtensor.js';
import type { Model } from '../../ir/model.js';
import { ONNX_DOMAIN, type Node } from '../../ir/node.js';
import { sizeOf, tensorBytes, type Tensor } from '../../ir/tensor.js';
import { onnxCode, tensorType, type DType } from '../../ir/types.js';
import type { Value } from '../../ir/value.js';
import { DEFAULT_TARGET, findTarget, TARGETS, type RuntimeTarget } from '../conv/targets.js';
import type { CompileTarget, Pass } from '../pass.js';
import { classifyNodes, outerReads, subgraphsOf, type NumericClass } from './classify.js';
import { FORMATS, type NumberFormat, type Precision } from './formats.js';
import { PRECISION_POLICY, type PrecisionPolicy } from './policy.js';

/**
 * Ops whose float inputs and outputs all share one type T: computing one in float16 is retyping
 * all of them. (LayerNormalization's optional mean and inverse deviation outputs are a type of
 * their own: it qualifies only while nothing reads them.)
 */
const UNIFORM_FLOAT_OPS = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Neg', 'Abs', 'MatMul', 'Gemm', 'Erf', 'Sigmoid', 'Tanh', 'Relu', 'Exp', 'Log', 'Sqrt',
  'Reciprocal', 'Softplus', 'Gelu', 'Max', 'Min', 'Sum', 'Mean', 'Where', 'Pow', 'Clip', 'Sin', 'Cos', 'Conv', 'DFT',
  'LayerNormalization', 'Softmax', 'LogSoftmax', 'ReduceMean', 'ReduceSum', 'ReduceSumSquare', 'ReduceMax', 'ReduceMin',
  'ReduceL2', 'CumSum',
]);

const FLOATS = new Set<DType>(['float32', 'float16']);

/** Ops whose body runs once per iteration. */
const LOOPS = new Set(['Scan', 'Loop']);

/** Ops that read a float input of any width as it is (its shape, or to convert it). */
const ANY_FLOAT = new Set(['Shape', 'Size', 'Cast']);

/** What lower-precision did: where the graph computes in 16 bits and how its weights are stored. */
export interface PrecisionReport {
  precision: Precision;
  /** The runtime target planned for and how many of the ops this graph uses it computes in float16. */
  runtime: string;
  /** Nodes computing in float16, by class. */
  computed16: Partial<Record<NumericClass, number>>;
  /** Nodes left in float32 that the policy would compute in float16 but the runtime has no float16 kernel for, by op. */
  noKernel: Record<string, number>;
  /** Float initializers now stored in 16 bits: how many, their float32 bytes and their bytes now. */
  stored: { tensors: number; bytesBefore: number; bytesAfter: number };
  /** Float initializers kept in float32, by reason ('scalar', a class whose policy keeps it, 'range'). */
  kept: Record<string, { tensors: number; bytes: number }>;
}

export interface LowerPrecisionOptions {
  /** The runtimes target.runtime may name (default: passes/conv/targets.ts). */
  targets?: readonly RuntimeTarget[];
  /** Which classes compute and store in 16 bits (default: PRECISION_POLICY). */
  policy?: PrecisionPolicy;
}

/**
 * lower-precision: the float32 graph → the precision asked for (CompileTarget.precision).
 *  - Compute: a node computes in float16 when the graph is fp16, its class's policy allows it,
 *    and the runtime has a float16 kernel for its op; data movement takes the dtype of what it
 *    moves; everything else stays float32, with a Cast wherever the two meet.
 *  - Storage: every float initializer of two or more elements that only 16-bit nodes read, or
 *    nodes whose class allows 16-bit storage, is stored in float16 / bfloat16; where a float32
 *    node reads it, a Cast to float32 follows it (onnxruntime folds that Cast when the session
 *    loads, so it costs nothing per run). Single numbers stay float32 (nothing to save), as does
 *    any tensor outside the format's range.
 *  - The interface stays float32: graph inputs and outputs (a step graph's states included) are
 *    float32 whatever the precision, so every runtime and caller feeds the graph unchanged.
 */
export function lowerPrecisionPass(opts: LowerPrecisionOptions = {}): Pass<PrecisionReport> {
  return {
    name: 'lower-precision',
    description: '--precision fp16|bf16: weights stored in 16 bits, float16 compute where the runtime and the policy allow',
    run: (model, target) => {
      const precision = target.precision ?? 'fp32';
      if (precision === 'fp32') return { changed: false };
      const runtime = findTarget(target.runtime ?? DEFAULT_TARGET.id, opts.targets ?? TARGETS);
      if (!runtime) throw new Error(`unknown runtime target '${target.runtime}'`);
      const report = new PrecisionLowering(model, target, FORMATS[precision], runtime, opts.policy ?? PRECISION_POLICY).run();
      return { changed: true, report };
    },
    ensures: (model, target) => {
      if ((target.precision ?? 'fp32') === 'fp32') return null;
      const g = model.graph;
      const bad = [...g.inputs, ...g.outputs].find((v) => v.type.dtype === 'float16' || v.type.dtype === 'bfloat16');
      return bad ? `graph interface value '${bad.name}' is ${bad.type.dtype}; the interface stays float32` : null;
    },
  };
}

class PrecisionLowering {
  private readonly graph: Graph;
  private readonly classes: Map<Node, NumericClass>;
  /** The dtype each node computes in (float nodes only). */
  private readonly computeIn = new Map<Node, DType>();
  /** Casts made so far: value → dtype → the cast value. */
  private readonly casts = new Map<Value, Map<DType, Value>>();
  /** The main-graph node each nested graph belongs to. */
  private readonly owner = new Map<Graph, Node>();
  private readonly half: ReadonlySet<string>;
  private readonly report: PrecisionReport;
  /** Where the casts of stored weights go. */
  private head: Node | null = null;

  constructor(
    private readonly model: Model,
    target: CompileTarget,
    private readonly format: NumberFormat,
    runtime: RuntimeTarget,
    private readonly policy: PrecisionPolicy,
  ) {
    this.graph = model.graph;
    this.classes = classifyNodes(this.graph, target.recurrentStates ?? []);
    // bfloat16 is storage only: no runtime we target has bfloat16 arithmetic kernels.
    this.half = new Set(format.storage === 'float16' ? runtime.float16Ops ?? [] : []);
    this.report = { precision: format.precision, runtime: runtime.id, computed16: {}, noKernel: {}, stored: { tensors: 0, bytesBefore: 0, bytesAfter: 0 }, kept: {} };
    for (const node of this.graph.nodes) for (const g of subgraphsOf(node)) this.own(g, node);
  }

  private own(g: Graph, node: Node): void {
    this.owner.set(g, node);
    for (const n of g.nodes) for (const s of subgraphsOf(n)) this.own(s, node);
  }

  run(): PrecisionReport {
    for (const node of this.graph.nodes) this.decide(node);
    for (const node of [...this.graph.nodes]) this.retype(node);
    this.retypeOutputs();
    // Casts of stored weights go first, in the initializers' order.
    this.head = this.graph.nodes[0] ?? null;
    for (const v of [...this.graph.initializers]) this.store(v);
    for (const [node, dtype] of this.computeIn) {
      if (dtype !== 'float16' || this.classes.get(node) === 'movement') continue;
      const c = this.classes.get(node)!;
      this.report.computed16[c] = (this.report.computed16[c] ?? 0) + 1;
    }
    return this.report;
  }

  /** The dtype a value has once the nodes before it are decided (initializers: their own until stored). */
  private dtypeOf(v: Value): DType {
    return v.producer && this.computeIn.get(v.producer) === 'float16' && FLOATS.has(v.type.dtype) ? 'float16' : v.type.dtype;
  }

  private decide(node: Node): void {
    if (ANY_FLOAT.has(node.op)) return;
    const floatIns = node.inputs.filter((v): v is Value => v !== null && FLOATS.has(v.type.dtype));
    const floatOuts = node.outputs.filter((v) => FLOATS.has(v.type.dtype));
    if (floatIns.length === 0 && floatOuts.length === 0 && subgraphsOf(node).length === 0) return;
    const cls = this.classes.get(node)!;
    if (cls === 'movement') {
      const all16 = floatIns.length > 0 && floatIns.every((v) => this.dtypeOf(v) === 'float16');
      this.computeIn.set(node, all16 ? 'float16' : 'float32');
      return;
    }
    let dtype: DType = 'float32';
    if (this.policy[cls].compute16 && this.format.storage === 'float16' && this.convertible(node)) {
      if (this.half.has(node.op)) dtype = 'float16';
      else this.report.noKernel[node.op] = (this.report.noKernel[node.op] ?? 0) + 1;
    }
    this.computeIn.set(node, dtype);
  }

  /** A standard op whose float operands share one type, with no subgraph and no constant outside float16's range. */
  private convertible(node: Node): boolean {
    if (node.domain !== ONNX_DOMAIN && node.domain !== 'ai.onnx') return false;
    if (!UNIFORM_FLOAT_OPS.has(node.op) || subgraphsOf(node).length > 0) return false;
    if (node.op === 'LayerNormalization' && node.outputs.slice(1).some((v) => v.uses.length > 0)) return false;
    return node.inputs.every((v) => !v?.constant || !FLOATS.has(v.type.dtype) || fits(v.constant, this.format));
  }

  /** Point the node's float operands at values of its compute dtype, and give its outputs that dtype. */
  private retype(node: Node): void {
    const dtype = this.computeIn.get(node);
    if (!dtype) return;
    node.inputs.forEach((v, i) => {
      if (!v || !FLOATS.has(v.type.dtype) || v.constant) return; // initializers: store() decides
      if (this.dtypeOf(v) !== dtype) node.setInput(i, this.cast(v, dtype, node));
    });
    // A subgraph reads outer values as float32 (its own nodes are never retyped).
    for (const v of outerReads(node)) {
      if (v.constant || this.dtypeOf(v) !== 'float16') continue;
      const up = this.cast(v, 'float32', node);
      for (const use of [...v.uses]) if (use.node.graph !== this.graph && this.owner.get(use.node.graph) === node) use.node.setInput(use.index, up);
    }
    if (dtype === 'float16') for (const out of node.outputs) if (out.type.dtype === 'float32') out.type = tensorType('float16', out.type.shape);
  }

  /** `v` (a node's output or a graph input) as `dtype`: one Cast per value and dtype, before its first reader. */
  private cast(v: Value, dtype: DType, before: Node): Value {
    const known = this.casts.get(v)?.get(dtype);
    if (known) return known;
    const c = new Builder(this.graph, this.model.opset, before).cast(v, onnxCode(dtype));
    c.type = tensorType(dtype, v.type.shape);
    this.casts.set(v, (this.casts.get(v) ?? new Map<DType, Value>()).set(dtype, c));
    return c;
  }

  /** Graph outputs computed in float16 go out as float32, under their own names. */
  private retypeOutputs(): void {
    this.graph.outputs.forEach((v, i) => {
      if (v.type.dtype !== 'float16') return;
      const shape = v.type.shape;
      const up = new Builder(this.graph, this.model.opset).cast(v, onnxCode('float32'));
      up.type = tensorType('float32', shape);
      this.graph.replaceOutput(i, up);
    });
  }

  /**
   * The class of the node behind a use. A loop body (a chunked convolution's Scan over chunks, a
   * prefill's state passing) applies what it reads once per iteration, so a rounding there
   * compounds over the iterations: such a use counts as a recurrence's.
   */
  private classOfUser(node: Node): NumericClass | 'cast' {
    if (node.graph === this.graph) return this.classes.get(node) ?? 'cast';
    const owner = this.owner.get(node.graph)!;
    return LOOPS.has(owner.op) ? 'recurrence' : this.classes.get(owner)!;
  }

  /**
   * A float32 initializer: stored in 16 bits where its readers allow (float16 readers take it
   * as it is, float32 readers through a Cast), else kept float32 (float16 readers through a Cast,
   * folded when the session loads).
   */
  private store(v: Value): void {
    const t = v.constant!;
    if (t.dtype !== 'float32' || this.graph.isOutput(v) || v.uses.length === 0) return;
    const half = v.uses.filter((u) => u.node.graph === this.graph && this.computeIn.get(u.node) === 'float16');
    const full = v.uses.filter((u) => !half.includes(u));
    const bytes = tensorBytes(t);
    let keep: string | null = null;
    if (!fits(t, this.format)) keep = `range (beyond ±${this.format.max})`;
    else if (full.length > 0 && sizeOf(t.dims) < 2) keep = 'scalar';
    else {
      const refusing = full.map((u) => this.classOfUser(u.node)).find((c) => c !== 'cast' && !this.policy[c].store16);
      if (refusing) keep = `${refusing} policy`;
    }
    if (keep !== null) {
      this.report.kept[keep] = { tensors: (this.report.kept[keep]?.tensors ?? 0) + 1, bytes: (this.report.kept[keep]?.bytes ?? 0) + bytes };
      if (half.length > 0) {
        const first = this.graph.nodes.find((n) => half.some((u) => u.node === n))!;
        const down = new Builder(this.graph, this.model.opset, first).cast(v, onnxCode('float16'));
        down.type = tensorType('float16', v.type.shape);
        for (const u of half) u.node.setInput(u.index, down);
      }
      return;
    }
    const name = v.name;
    const stored = this.rounded(t);
    this.report.stored.tensors++;
    this.report.stored.bytesBefore += bytes;
    this.report.stored.bytesAfter += tensorBytes(stored);
    const s = this.graph.addInitializer(this.graph.freshName(name), stored);
    for (const u of half) u.node.setInput(u.index, s);
    if (full.length > 0) {
      const up = new Builder(this.graph, this.model.opset, this.head).cast(s, onnxCode('float32'));
      up.type = tensorType('float32', v.type.shape);
      for (const u of full) u.node.setInput(u.index, up);
    }
    // The weight keeps its name (inspect lists it under it), now in 16 bits.
    this.graph.removeInitializer(v);
    this.graph.renameValue(s, name);
  }

  /** The tensor in the storage format (rounded to nearest, ties to even). */
  private rounded(t: Tensor): Tensor {
    return toTensor(fromTensor(t), this.format.storage);
  }
}

/** Every element within the format's finite range. */
function fits(t: Tensor, format: NumberFormat): boolean {
  if (!(t.data instanceof Float32Array)) return true;
  for (let i = 0; i < t.data.length; i++) if (Math.abs(t.data[i]!) > format.max) return false;
  return true;
}

