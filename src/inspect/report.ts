import { modelFromBytes } from '../../export/onnx-read.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { printGraph } from '../../ir/printer.js';
import type { Dim, TensorType } from '../../ir/types.js';
import { typeToString } from '../../ir/types.js';
import { estimateCost, isParameterDtype, tensorSize, type CostEstimate } from './cost.js';
import { formatReportText } from './format.js';
import { symbolicDims, type DimValues } from './shapes.js';
import { recogniseSsm, type SsmSummary } from './ssm.js';
import { allGraphs, domainName, qualifiedName } from './walk.js';

export interface ValueSummary {
  name: string;
  dtype: string;
  /** null: rank unknown; a string entry is a symbolic dim, null an unknown one. */
  shape: Dim[] | null;
  /** 'f32[batch,4,L]' */
  type: string;
}

export interface InitializerSummary {
  count: number;
  bytes: number;
  byDtype: { dtype: string; count: number; elements: number; bytes: number }[];
  external: { name: string; location: string; offset: number; length: number | null }[];
  /** The ten largest, biggest first. */
  largest: { name: string; type: string; bytes: number }[];
}

export interface GraphValue extends ValueSummary {
  /** The graph path ('main', 'main/loop.body', 'function ai.ssmc.X'). */
  graph: string;
  /** 'input', 'initializer', or the producing op. */
  from: string;
}

export interface FunctionSummary {
  domain: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: string[];
  opsets: { domain: string; version: number }[];
  nodes: number;
  ops: { op: string; count: number }[];
  /** The body in the IR's text form. */
  body: string;
}

export interface SubgraphSummary {
  path: string;
  /** The op owning it (Loop, Scan, If, …) and its attribute. */
  op: string;
  node: string;
  attribute: string;
  depth: number;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  nodes: number;
}

export interface InspectReport {
  irVersion: number;
  producer: { name: string; version: string };
  domain: string;
  modelVersion: number;
  docString: string;
  opsets: { domain: string; version: number }[];
  metadata: { key: string; value: string }[];
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  initializers: InitializerSummary;
  /** Elements of the floating-point initializers (the model's parameters), external ones included; integer constants (shapes, indices) are not counted. */
  parameters: number;
  /** Nodes of the main graph, and of every graph (subgraphs and function bodies included). */
  nodes: number;
  allNodes: number;
  /** Op histogram over every graph, per domain, most frequent first. */
  ops: { domain: string; ops: { op: string; count: number }[] }[];
  functions: FunctionSummary[];
  subgraphs: SubgraphSummary[];
  /** Symbolic dims the model uses, and those still without a value for the estimate. */
  symbols: string[];
  unresolved: string[];
  /** The inferred type of every value of every graph. */
  values: GraphValue[];
  cost: CostEstimate;
  ssm: SsmSummary;
}

export interface InspectOptions {
  /** Values for symbolic dims, used by the FLOP and memory estimate: { L: 4096, batch: 1 }. */
  dims?: Record<string, number>;
}

function valueSummary(name: string, t: TensorType): ValueSummary {
  return { name, dtype: t.dtype, shape: t.shape === null ? null : [...t.shape], type: typeToString(t) };
}

function histogram(keys: Iterable<string>): { op: string; count: number }[] {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].map(([op, count]) => ({ op, count })).sort((a, b) => b.count - a.count || a.op.localeCompare(b.op));
}

function initializers(model: Model): { summary: InitializerSummary; parameters: number } {
  const all = allGraphs(model).flatMap((s) => s.graph.initializers);
  const byDtype = new Map<string, InitializerSummary['byDtype'][number]>();
  let bytes = 0, parameters = 0;
  const external: InitializerSummary['external'] = [];
  const sized = all.map((v) => {
    const t = v.constant!;
    const n = t.dims.reduce((a, d) => a * d, 1);
    const b = tensorSize(t);
    bytes += b;
    if (isParameterDtype(t.dtype)) parameters += n;
    const e = byDtype.get(t.dtype) ?? { dtype: t.dtype, count: 0, elements: 0, bytes: 0 };
    e.count++;
    e.elements += n;
    e.bytes += b;
    byDtype.set(t.dtype, e);
    if (t.external) external.push({ name: v.name, ...t.external });
    return { name: v.name, type: typeToString(v.type), bytes: b };
  });
  const largest = sized.sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name)).slice(0, 10);
  return {
    summary: { count: all.length, bytes, byDtype: [...byDtype.values()].sort((a, b) => b.bytes - a.bytes), external, largest },
    parameters,
  };
}

function graphValues(g: Graph, path: string): GraphValue[] {
  const out: GraphValue[] = [];
  for (const v of g.inputs) out.push({ ...valueSummary(v.name, v.type), graph: path, from: 'input' });
  for (const v of g.initializers) out.push({ ...valueSummary(v.name, v.type), graph: path, from: 'initializer' });
  for (const n of g.nodes) for (const v of n.outputs) out.push({ ...valueSummary(v.name, v.type), graph: path, from: n.qualifiedOp });
  return out;
}

/** Everything `ssmc inspect` reports about a model. Works on any model modelFromBytes accepts. */
export function inspectModel(model: Model, opts: InspectOptions = {}): InspectReport {
  const dims: DimValues = { ...(opts.dims ?? {}) };
  const sites = allGraphs(model);
  const { summary, parameters } = initializers(model);
  const byDomain = new Map<string, string[]>();
  for (const s of sites) for (const n of s.graph.nodes) {
    const d = domainName(n.domain === 'ai.onnx' ? '' : n.domain);
    const list = byDomain.get(d) ?? [];
    list.push(n.op);
    byDomain.set(d, list);
  }
  const symbols = symbolicDims(model);
  return {
    irVersion: model.irVersion,
    producer: { name: model.producerName, version: model.producerVersion },
    domain: model.domain,
    modelVersion: model.modelVersion,
    docString: model.docString,
    opsets: [...model.opsetImports].map(([domain, version]) => ({ domain: domainName(domain), version })).sort((a, b) => a.domain.localeCompare(b.domain)),
    metadata: [...model.metadata].map(([key, value]) => ({ key, value })),
    inputs: model.graph.inputs.map((v) => valueSummary(v.name, v.type)),
    outputs: model.graph.outputs.map((v) => valueSummary(v.name, v.type)),
    initializers: summary,
    parameters,
    nodes: model.graph.nodes.length,
    allNodes: sites.reduce((s, g) => s + g.graph.nodes.length, 0),
    ops: [...byDomain].map(([domain, ops]) => ({ domain, ops: histogram(ops) })).sort((a, b) => a.domain.localeCompare(b.domain)),
    functions: model.functions.map((f) => ({
      domain: f.domain, name: f.name, inputs: f.body.inputs.map((v) => v.name), outputs: f.body.outputs.map((v) => v.name),
      attributes: [...f.attributes], opsets: [...f.opsetImports].map(([domain, version]) => ({ domain: domainName(domain), version })),
      nodes: f.body.nodes.length, ops: histogram(f.body.nodes.map((n) => n.qualifiedOp)), body: printGraph(f.body),
    })),
    subgraphs: sites.filter((s) => s.kind === 'subgraph').map((s) => ({
      path: s.path, op: qualifiedName(s.owner!.domain, s.owner!.op), node: s.owner!.name, attribute: s.attr!, depth: s.depth,
      inputs: s.graph.inputs.map((v) => valueSummary(v.name, v.type)), outputs: s.graph.outputs.map((v) => valueSummary(v.name, v.type)),
      nodes: s.graph.nodes.length,
    })),
    symbols,
    unresolved: symbols.filter((s) => !Object.hasOwn(dims, s)),
    values: sites.flatMap((s) => graphValues(s.graph, s.path)),
    cost: estimateCost(model, dims),
    ssm: recogniseSsm(model),
  };
}

/** Read an .onnx file's bytes and inspect it; a malformed file throws OnnxFormatError (export/onnx-read.ts). */
export function inspectBytes(bytes: Uint8Array, opts: InspectOptions = {}): InspectReport {
  return inspectModel(modelFromBytes(bytes), opts);
}

/** The report as plain text for people. */
export function formatReport(r: InspectReport): string {
  return formatReportText(r);
}
