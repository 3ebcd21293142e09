import type { Dim } from '../../ir/types.js';
import type { CostEstimate } from './cost.js';
import type { SsmSummary } from './ssm.js';

/** The shape of an inspection report (report.ts builds it, format.ts prints it). */

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
  /**
   * The model's parameters: for graphs made by ssmc, the elements of the checkpoint tensors it was
   * compiled from (the `ssmc.parameters` metadata; folded constants such as kernels and DFT
   * matrices are derived, not parameters); for any other model, `initializerElements`.
   */
  parameters: number;
  /** Where `parameters` comes from. */
  parametersFrom: 'ssmc.parameters' | 'initializers';
  /** Elements of the floating-point initializers, external ones included (integer constants — shapes, indices — are not counted). */
  initializerElements: number;
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
