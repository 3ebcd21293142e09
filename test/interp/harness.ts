import { type Attr, type DType, evaluateNode, type Graph, Graph as GraphClass, type Node, type RTensor, tensorType } from 'ssmc/ir';
import { rt } from '../../ir/interp/rtensor.js';

/** Attribute values the tests write by hand: integral numbers are ints unless wrapped in float(). */
export type AttrValue = number | number[] | string | Attr | Graph;

export function toAttr(v: AttrValue): Attr {
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'float', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (Array.isArray(v)) return { kind: 'ints', value: v };
  if (v instanceof GraphClass) return { kind: 'graph', value: v };
  return v;
}

export function attrs(record: Record<string, AttrValue>): Record<string, Attr> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, toAttr(v)]));
}

/** A node of `op` in a fresh graph, one graph input per slot (null leaves an optional input out). */
export function makeNode(op: string, slots: (RTensor | null)[], a: Record<string, AttrValue> = {}, numOutputs = 1, domain = ''): Node {
  const g = new GraphClass();
  const ins = slots.map((t, i) => (t ? g.addInput(`in${i}`, tensorType(t.dtype, t.dims)) : null));
  return g.createNode(domain, op, ins, attrs(a), numOutputs);
}

/** Evaluate one node on the given inputs. */
export function run(op: string, inputs: (RTensor | null)[], a: Record<string, AttrValue> = {}, opts: { opset?: number; outputs?: number; domain?: string } = {}): RTensor[] {
  const node = makeNode(op, inputs, a, opts.outputs ?? 1, opts.domain ?? '');
  return evaluateNode(node, inputs, opts.opset ?? 17);
}

/** The first output of `run`. */
export function run1(op: string, inputs: (RTensor | null)[], a: Record<string, AttrValue> = {}, opts: { opset?: number; domain?: string } = {}): RTensor {
  return run(op, inputs, a, opts)[0]!;
}

export const f32 = (dims: number[], values: number[]): RTensor => rt('float32', dims, Float64Array.from(values));
export const f64 = (dims: number[], values: number[]): RTensor => rt('float64', dims, Float64Array.from(values));
export const i64 = (dims: number[], values: number[]): RTensor => rt('int64', dims, Float64Array.from(values));
export const typed = (dtype: DType, dims: number[], values: number[]): RTensor => rt(dtype, dims, Float64Array.from(values));

/** complex64 from (re, im) pairs. */
export function c64(dims: number[], pairs: [number, number][]): RTensor {
  return rt('complex64', dims, Float64Array.from(pairs.flat()));
}

export function iota(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i);
}

/** Values of a tensor as a plain array, for toEqual. */
export function values(t: RTensor): number[] {
  return Array.from(t.data);
}

/** Largest |a − b| over two equally long arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** INT64's extreme values as the interpreter sees them after BigInt → number. */
export const INT64_MAX = Number(2n ** 63n - 1n);
export const INT64_MIN = Number(-(2n ** 63n));
