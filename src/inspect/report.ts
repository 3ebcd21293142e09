import { modelFromBytes } from '../../export/onnx-read.js';
import type { Graph } from '../../ir/graph.js';
import type { Model } from '../../ir/model.js';
import { printGraph } from '../../ir/printer.js';
import type { TensorType } from '../../ir/types.js';
import { typeToString } from '../../ir/types.js';
import { estimateCost, isParameterDtype, tensorSize } from './cost.js';
import { formatReportText } from './format.js';
import type { GraphValue, InitializerSummary, InspectOptions, InspectReport, ValueSummary } from './report-types.js';
import { symbolicDims, type DimValues } from './shapes.js';
import { readMetadata } from '../metadata.js';
import { recogniseSsm } from './ssm.js';
import { allGraphs, domainName, qualifiedName } from './walk.js';
export type { FunctionSummary, GraphValue, InitializerSummary, InspectOptions, InspectReport, SubgraphSummary, ValueSummary } from './report-types.js';

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
    ...recordedParameters(model, parameters),
    initializerElements: parameters,
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

/** The parameter count ssmc recorded at compile time, else the initializers' elements. */
function recordedParameters(model: Model, initializerElements: number): { parameters: number; parametersFrom: InspectReport['parametersFrom'] } {
  const recorded = readMetadata(model).meta.parameters;
  return recorded ? { parameters: recorded.count, parametersFrom: 'ssmc.parameters' } : { parameters: initializerElements, parametersFrom: 'initializers' };
}
