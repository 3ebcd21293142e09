import type { Attr } from './attr.js';
import type { Graph } from './graph.js';
import type { Value } from './value.js';

export const ONNX_DOMAIN = '';
export const SSMC_DOMAIN = 'ai.ssmc';
/** onnxruntime's contrib-op domain: ops with kernels in onnxruntime alone (ssmc emits them only for onnxruntime targets). */
export const MS_DOMAIN = 'com.microsoft';
/** Node.origin of the real nodes that complex arithmetic becomes (lower-complex), where no high-level op made it. */
export const COMPLEX_ORIGIN = 'complex';

/**
 * One operation. Inputs may be null for an omitted optional input (ONNX's empty name).
 * Mutate inputs only through `setInput` so use lists stay right.
 */
export class Node {
  name: string;
  domain: string;
  op: string;
  readonly inputs: (Value | null)[] = [];
  readonly outputs: Value[] = [];
  readonly attrs = new Map<string, Attr>();
  graph: Graph;
  docString = '';
  /**
   * The module path of the model that built the node ('layers.3/dss/conv'; '' outside any):
   * the builder's scope when it was made, also the prefix of its name. Lowerings inherit it
   * from the node they replace, so a graph stays grouped by layer through the pipeline.
   */
  scope = '';
  /**
   * The high-level op this node was lowered from ('ai.ssmc.LongConv', 'complex' for complex
   * arithmetic split into real pairs), or null for a node the model built as it is. Set while a
   * pass rewrites a node (Graph.withOrigin); compile-time only, never exported. lower-precision
   * reads it to keep the SSM math in float32.
   */
  origin: string | null = null;

  constructor(graph: Graph, name: string, domain: string, op: string) {
    this.graph = graph;
    this.name = name;
    this.domain = domain;
    this.op = op;
  }

  /** "Add" for the default domain, "ai.ssmc.LongConv" otherwise. */
  get qualifiedOp(): string {
    return this.domain === ONNX_DOMAIN || this.domain === 'ai.onnx' ? this.op : `${this.domain}.${this.op}`;
  }

  input(i: number): Value {
    const v = this.inputs[i];
    if (!v) throw new Error(`node '${this.name}' (${this.qualifiedOp}) has no input ${i}`);
    return v;
  }

  setInput(i: number, v: Value | null): void {
    const old = this.inputs[i];
    if (old) old.removeUse(this, i);
    while (this.inputs.length <= i) this.inputs.push(null);
    this.inputs[i] = v;
    if (v) v.addUse(this, i);
  }

  /** Detach from all inputs (used when the node is removed). */
  dropInputs(): void {
    for (let i = 0; i < this.inputs.length; i++) this.setInput(i, null);
    this.inputs.length = 0;
  }

  attrInt(name: string, dflt?: number): number {
    const a = this.attrs.get(name);
    if (!a) {
      if (dflt === undefined) throw new Error(`node '${this.name}' (${this.qualifiedOp}) needs attribute '${name}'`);
      return dflt;
    }
    if (a.kind !== 'int') throw new Error(`node '${this.name}': attribute '${name}' must be an int, got ${a.kind}`);
    return a.value;
  }

  attrFloat(name: string, dflt?: number): number {
    const a = this.attrs.get(name);
    if (!a) {
      if (dflt === undefined) throw new Error(`node '${this.name}' (${this.qualifiedOp}) needs attribute '${name}'`);
      return dflt;
    }
    if (a.kind === 'float' || a.kind === 'int') return a.value;
    throw new Error(`node '${this.name}': attribute '${name}' must be a float, got ${a.kind}`);
  }

  attrString(name: string, dflt?: string): string {
    const a = this.attrs.get(name);
    if (!a) {
      if (dflt === undefined) throw new Error(`node '${this.name}' (${this.qualifiedOp}) needs attribute '${name}'`);
      return dflt;
    }
    if (a.kind !== 'string') throw new Error(`node '${this.name}': attribute '${name}' must be a string, got ${a.kind}`);
    return a.value;
  }

  attrInts(name: string, dflt?: number[]): number[] {
    const a = this.attrs.get(name);
    if (!a) {
      if (dflt === undefined) throw new Error(`node '${this.name}' (${this.qualifiedOp}) needs attribute '${name}'`);
      return dflt;
    }
    if (a.kind !== 'ints') throw new Error(`node '${this.name}': attribute '${name}' must be ints, got ${a.kind}`);
    return a.value;
  }
}
