import type { Attr } from '../ir/attr.js';
import { Builder } from '../ir/builder.js';
import type { Graph } from '../ir/graph.js';
import { Model, type FunctionDef } from '../ir/model.js';
import { ONNX_DOMAIN, SSMC_DOMAIN, type Node } from '../ir/node.js';
import { CUSTOM_OP_DOMAIN_VERSION } from '../ir/ssm-ops.js';
import type { Tensor } from '../ir/tensor.js';
import { isComplex, tensorType, type TensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { isLongConv, longConv, readLongConv } from '../ir/ops/long-conv.js';
import { LOWERING_ATTR, loweringOf } from './conv/lowering.js';
import { eliminateDeadCode } from './dce.js';
import { packedSource } from './packed-complex.js';
import { changed, type CompileTarget, type Pass } from './pass.js';
import { runPipeline } from './run-pipeline.js';

/**
 * --custom-ops: every high-level op becomes a node of domain `ai.ssmc` calling a model-local
 * function (the interface is documented in ir/ssm-ops.ts beside CUSTOM_OP_DOMAIN_VERSION).
 *
 * Between outline-custom-ops and seal-custom-ops the calls sit in STAGED_DOMAIN, which no lowering
 * pass matches (they rewrite ai.ssmc LongConv/Vandermonde nodes) and fold-constants leaves alone;
 * seal-custom-ops moves them to ai.ssmc once the main graph is lowered.
 */
export const STAGED_DOMAIN = 'ai.ssmc.outlined';

/** The call ops; the function of the first body of each is named exactly so. */
type CallKind = 'Vandermonde' | 'LongConv' | 'LongConvBidirectional' | 'DiagSSMConv' | 'DiagSSMConvBidirectional' | 'DenseSSMConv' | 'DiagSSMStep';

/** One high-level node to outline. */
interface CallSite {
  kind: CallKind;
  /** The node the call replaces: its outputs are the call's results, in order. */
  node: Node;
  /** The call's operands in IR form (complex ones are packed to float32 [..., 2] at the call). */
  operands: Value[];
  /** Names of the function's formal parameters and results. */
  params: string[];
  results: string[];
  /** Attributes the call carries for an execution provider. */
  attrs: Record<string, Attr>;
  /** The scale the call passes (read by reference from the body), or null when there is none. */
  scale: number | null;
  /** Build the high-level op(s) in a body from its (unpacked) parameters. */
  build(b: Builder, params: Value[], scale: number): Value[];
}

/**
 * Two marker scales, exact in float32: a body is built with each, and when the two bodies differ
 * only in that constant, it becomes a `Constant{value_float: ref scale}` (one body for every scale).
 */
const SCALE_MARKERS = [7.654321, 3.217531].map(Math.fround) as [number, number];

const float = (value: number): Attr => ({ kind: 'float', value });

/** A Vandermonde or DiagSSMStep node's scale as a number (builders may store it as an int). */
function scaleOf(node: Node): number {
  return node.attrFloat('scale', 1);
}

/**
 * A LongConv call: the op with its kernel in the form select-lowering left it in, so the body is
 * that same op with the chosen lowering. Taps become LongConv[Bidirectional](u, k[, k_rev]); a
 * diagonal description (a lowering that never forms the kernel) DiagSSMConv[Bidirectional](u, λ,
 * coef[, λ_rev, coef_rev]), full length by the lowering's rule; a dense one DenseSSMConv(u, A, B, C).
 */
function convSite(node: Node): CallSite {
  const lowering = loweringOf(node);
  if (!lowering) throw new Error(`internal: LongConv '${node.name}' reached outlining without a lowering`);
  const tag = { [LOWERING_ATTR]: { kind: 'string' as const, value: lowering } };
  const conv = readLongConv(node);
  const site = { node, results: ['y'] };
  switch (conv.kernel) {
    case 'taps': {
      const { u, k, kRev } = conv;
      return {
        ...site, kind: kRev ? 'LongConvBidirectional' : 'LongConv', operands: kRev ? [u, k, kRev] : [u, k],
        params: kRev ? ['u', 'k', 'k_rev'] : ['u', 'k'], attrs: tag, scale: null,
        build: (b, p) => [withLowering(longConv(b, { kernel: 'taps', u: p[0]!, k: p[1]!, kRev: p[2] ?? null }), lowering)],
      };
    }
    case 'diagonal': {
      const { u, causal, reverse } = conv;
      return {
        ...site,
        kind: reverse ? 'DiagSSMConvBidirectional' : 'DiagSSMConv',
        operands: reverse ? [u, causal.lambda, causal.coef, reverse.lambda, reverse.coef] : [u, causal.lambda, causal.coef],
        params: reverse ? ['u', 'lambda', 'coef', 'lambda_rev', 'coef_rev'] : ['u', 'lambda', 'coef'],
        attrs: { scale: float(conv.scale), ...tag },
        scale: conv.scale,
        build: (b, p, scale) => {
          const side = (i: number) => ({ lambda: p[i]!, coef: p[i + 1]! });
          return [withLowering(longConv(b, { kernel: 'diagonal', u: p[0]!, length: b.dim(p[0]!, 2), scale, causal: side(1), reverse: p[3] ? side(3) : null }), lowering)];
        },
      };
    }
    case 'dense':
      return {
        ...site, kind: 'DenseSSMConv', operands: [conv.u, conv.A, conv.B, conv.C], params: ['u', 'A', 'B', 'C'], attrs: tag, scale: null,
        build: (b, p) => [withLowering(longConv(b, { kernel: 'dense', u: p[0]!, A: p[1]!, B: p[2]!, C: p[3]!, taps: null }), lowering)],
      };
  }
}

/** Tag the LongConv that made `y` with its lowering (a body skips select-lowering). */
function withLowering(y: Value, lowering: string): Value {
  y.producer!.attrs.set(LOWERING_ATTR, { kind: 'string', value: lowering });
  return y;
}

function vandermondeSite(node: Node): CallSite {
  const scale = scaleOf(node);
  return {
    kind: 'Vandermonde', node, operands: [0, 1, 2].map((i) => node.input(i)),
    params: ['lambda', 'coef', 'L'], results: ['K'],
    attrs: { scale: float(scale) }, scale,
    build: (b, p, s) => [b.ssm('Vandermonde', p, { scale: float(s) })],
  };
}

function stepSite(node: Node): CallSite {
  const scale = scaleOf(node);
  return {
    kind: 'DiagSSMStep', node, operands: [0, 1, 2, 3].map((i) => node.input(i)),
    params: ['x', 'u', 'lambda', 'coef'], results: ['y', 'x_next'],
    attrs: { scale: float(scale) }, scale,
    build: (b, p, s) => b.node('DiagSSMStep', p, { scale: float(s) }, 2, { domain: SSMC_DOMAIN }),
  };
}

/** The interface type of an operand or result: complex64 [...] travels as float32 [..., 2]. */
function interfaceType(t: TensorType): TensorType {
  return isComplex(t.dtype) ? tensorType('float32', t.shape === null ? null : [...t.shape, 2]) : t;
}

/** complex → float32 [..., 2]; the (re, im) split of a float32 [..., 2] tensor packs back to that tensor. */
function pack(b: Builder, v: Value): Value {
  if (!isComplex(v.type.dtype)) return v;
  const split = splitSource(v);
  if (split) return split;
  const part = (op: 'Real' | 'Imag') => b.unsqueeze(b.ssm(op, [v]), [-1]);
  return b.concat([part('Real'), part('Imag')], -1);
}

/**
 * v = Complex(Gather(s, 0, axis −1), Gather(s, 1, axis −1)) → s: an interleaved state
 * (src/state-layout.ts) is already the call's packed form.
 */
function splitSource(v: Value): Value | null {
  const packed = packedSource(v);
  return packed && packed.axis === packed.source.type.shape!.length - 1 ? packed.source : null;
}

function unpack(b: Builder, v: Value): Value {
  const part = (i: number) => b.op('Gather', [v, b.i64(i, [], 'part')], { axis: -1 });
  return b.ssm('Complex', [part(0), part(1)]);
}

/**
 * A function body for one call site, built in isolation: formal parameters typed like the call's
 * operands, the high-level op(s), then the pipeline's own lowering. FunctionProto has no
 * initializers, so constants become `Constant` nodes; the marker scale becomes a reference.
 */
function buildBody(site: CallSite, target: CompileTarget, bodyPasses: readonly Pass<unknown>[], scale: number, marker: number | null): Graph {
  const mini = new Model(target.opset);
  mini.opsetImports.set(SSMC_DOMAIN, 1);
  const g = mini.graph;
  const b = new Builder(g, target.opset);
  const formals = site.operands.map((v, i) => g.addInput(site.params[i]!, interfaceType(v.type)));
  const args = formals.map((p, i) => (isComplex(site.operands[i]!.type.dtype) ? unpack(b, p) : p));
  const outs = site.build(b, args, scale).map((v) => pack(b, v));
  outs.forEach((v, i) => {
    g.renameValue(v, site.results[i]!);
    g.outputs.push(v);
  });
  runPipeline(mini, { ...target, customOps: false }, bodyPasses);
  const left = g.nodes.find((n) => n.domain !== ONNX_DOMAIN);
  if (left) {
    const lowering = left.attrs.get(LOWERING_ATTR);
    const which = lowering?.kind === 'string' ? ` (lowering '${lowering.value}': is its pass in the pipeline after ${outlineCustomOpsPass.name}?)` : '';
    throw new Error(`internal: the body of ${site.kind} still has ${left.qualifiedOp} after the lowering passes${which}`);
  }
  initializersToConstants(g, marker);
  return g;
}

/** Initializers → Constant nodes at the head of the body (in order, keeping their names). */
function initializersToConstants(g: Graph, marker: number | null): void {
  const head = g.nodes[0] ?? null;
  for (const v of [...g.initializers]) {
    const t = v.constant!;
    const isMarker = marker !== null && t.dtype === 'float32' && t.dims.length === 0 && (t.data as Float32Array)[0] === marker;
    const attrs: Record<string, Attr> = isMarker
      ? { value_float: { kind: 'ref', refName: 'scale', refKind: 'float' } }
      : { value: { kind: 'tensor', value: t } };
    const c = g.createNode(ONNX_DOMAIN, 'Constant', [], attrs, 1, { before: head, outputTypes: [v.type], name: 'const' }).outputs[0]!;
    g.replaceAllUsesWith(v, c, true);
    const name = v.name;
    g.removeInitializer(v);
    g.renameValue(c, name);
  }
}

function tensorKey(t: Tensor): string {
  const data = t.raw ?? t.data;
  const body = data === null ? '' : Array.isArray(data) ? JSON.stringify(data) : Array.prototype.join.call(data, ',');
  return `${t.dtype}[${t.dims.join(',')}]{${body}}`;
}

function attrKey(a: Attr): string {
  switch (a.kind) {
    case 'tensor': return tensorKey(a.value);
    case 'tensors': return a.value.map(tensorKey).join('|');
    case 'graph': return `{${subgraphKey(a.value)}}`;
    case 'graphs': return a.value.map((g) => `{${subgraphKey(g)}}`).join('|');
    case 'ref': return `ref ${a.refKind} ${a.refName}`;
    default: return JSON.stringify(a.value);
  }
}

/** A subgraph (a Scan body in the chunked form): its own constants count, as do its nodes. */
function subgraphKey(g: Graph): string {
  const consts = g.initializers.map((v) => `${v.name}=${tensorKey(v.constant!)}`).join(';');
  return `${consts}\n${bodyKey(g)}`;
}

/** The body as text: equal keys mean interchangeable functions. */
function bodyKey(g: Graph): string {
  const lines = [`(${g.inputs.map((v) => v.name).join(',')}) → (${g.outputs.map((v) => v.name).join(',')})`];
  for (const n of g.nodes) {
    const attrs = [...n.attrs.keys()].sort().map((k) => `${k}=${attrKey(n.attrs.get(k)!)}`);
    lines.push(`${n.outputs.map((v) => v.name).join(',')} = ${n.domain}.${n.op}(${n.inputs.map((v) => v?.name ?? '').join(',')}) ${attrs.join(' ')}`);
  }
  return lines.join('\n');
}

/** The body of a call site: shared over scales when the marker check allows it. */
function bodyFor(site: CallSite, target: CompileTarget, bodyPasses: readonly Pass<unknown>[]): { body: Graph; key: string } {
  if (site.scale !== null) {
    const [a, b] = SCALE_MARKERS.map((m) => buildBody(site, target, bodyPasses, m, m)) as [Graph, Graph];
    const key = bodyKey(a);
    if (key === bodyKey(b)) return { body: a, key };
  }
  const body = buildBody(site, target, bodyPasses, site.scale ?? 1, null);
  return { body, key: bodyKey(body) };
}

class Outliner {
  /** Bodies made so far, per call kind, in order: the first is `<kind>`, then `<kind>_2`, … */
  private readonly bodies = new Map<CallKind, { key: string; name: string }[]>();

  constructor(
    private readonly model: Model,
    private readonly target: CompileTarget,
    private readonly bodyPasses: readonly Pass<unknown>[],
  ) {}

  outline(site: CallSite): void {
    const name = this.functionFor(site);
    const { graph } = this.model;
    const b = new Builder(graph, this.model.opset, site.node);
    const operands = site.operands.map((v) => pack(b, v));
    const call = graph.createNode(STAGED_DOMAIN, name, operands, site.attrs, site.results.length, {
      before: site.node,
      scope: site.node.scope,
      name: name.toLowerCase(),
      outputTypes: site.node.outputs.map((v) => interfaceType(v.type)),
    });
    site.node.outputs.forEach((out, i) => {
      const result = call.outputs[i]!;
      graph.replaceAllUsesWith(out, isComplex(out.type.dtype) ? unpack(b, result) : result, true);
    });
    graph.removeNode(site.node);
  }

  private functionFor(site: CallSite): string {
    const { body, key } = bodyFor(site, this.target, this.bodyPasses);
    const made = this.bodies.get(site.kind) ?? [];
    const same = made.find((m) => m.key === key);
    if (same) return same.name;
    const name = made.length === 0 ? site.kind : `${site.kind}_${made.length + 1}`;
    made.push({ key, name });
    this.bodies.set(site.kind, made);
    body.name = name;
    const fn: FunctionDef = {
      domain: SSMC_DOMAIN,
      name,
      body,
      attributes: Object.keys(site.attrs).sort(),
      opsetImports: new Map([[ONNX_DOMAIN, this.target.opset]]),
      docString: `ssmc ${site.kind} (ir/ssm-ops.ts): the body is the compiler's own lowering, for execution providers without a fused kernel`,
    };
    this.model.functions.push(fn);
    return name;
  }
}

/** The high-level ops left when this pass runs (Discretize is lowered before it). */
const OUTLINED_OPS = ['LongConv', 'Vandermonde', 'DiagSSMStep'];

function outlineCustomOps(model: Model, target: CompileTarget, bodyPasses: readonly Pass<unknown>[]): boolean {
  const high = (op: string) => model.graph.nodes.filter((n) => n.domain === SSMC_DOMAIN && n.op === op);
  if (!target.customOps || !model.graph.nodes.some((n) => n.domain === SSMC_DOMAIN && OUTLINED_OPS.includes(n.op))) return false;
  model.opsetImports.set(STAGED_DOMAIN, 1);
  const outliner = new Outliner(model, target, bodyPasses);
  // Convolutions first: a dense one leaves the taps it carried beside its description unread.
  for (const node of model.graph.nodes.filter(isLongConv)) outliner.outline(convSite(node));
  // Whatever only the convolutions' dropped operands read is gone with them.
  eliminateDeadCode(model.graph);
  for (const node of high('Vandermonde')) outliner.outline(vandermondeSite(node));
  for (const node of high('DiagSSMStep')) outliner.outline(stepSite(node));
  return true;
}

/** Calls move to ai.ssmc; functions whose calls cse or dce removed go too. */
function sealCustomOps(model: Model): boolean {
  if (!model.opsetImports.has(STAGED_DOMAIN)) return false;
  const called = new Set<string>();
  for (const n of model.graph.nodes) {
    if (n.domain !== STAGED_DOMAIN) continue;
    n.domain = SSMC_DOMAIN;
    called.add(n.op);
  }
  model.opsetImports.delete(STAGED_DOMAIN);
  model.opsetImports.set(SSMC_DOMAIN, CUSTOM_OP_DOMAIN_VERSION);
  for (let i = model.functions.length - 1; i >= 0; i--) {
    const f = model.functions[i]!;
    if (f.domain === SSMC_DOMAIN && !called.has(f.name)) model.functions.splice(i, 1);
  }
  return true;
}

/**
 * --custom-ops outlining. A body is "the lowering the pipeline would have used", so it is built by
 * `bodyPasses`: the passes the pipeline runs after this one, up to seal-custom-ops.
 */
export function outlineCustomOpsPass(bodyPasses: readonly Pass<unknown>[]): Pass {
  return {
    name: 'outline-custom-ops',
    description: '--custom-ops: LongConv, Vandermonde, DiagSSMStep → ai.ssmc calls of model-local functions (standard-op bodies)',
    run: (model, target) => changed(outlineCustomOps(model, target, bodyPasses)),
    ensures: (model, target) => {
      if (!target.customOps) return null;
      const left = model.graph.nodes.find((n) => n.domain === SSMC_DOMAIN && OUTLINED_OPS.includes(n.op));
      return left ? `node '${left.name}' (${left.qualifiedOp}) was not outlined` : null;
    },
  };
}

export const sealCustomOpsPass: Pass = {
  name: 'seal-custom-ops',
  description: '--custom-ops: the outlined calls take their final domain ai.ssmc',
  run: (model) => changed(sealCustomOps(model)),
  ensures: (model) => {
    const left = model.graph.nodes.find((n) => n.domain === STAGED_DOMAIN);
    return left ? `node '${left.name}' is still in ${STAGED_DOMAIN}` : null;
  },
};
