import type { Graph } from './graph.js';
import type { Tensor } from './tensor.js';

/**
 * Typed node attributes (a discriminated union, one case per ONNX AttributeType we keep).
 * `ref` marks an attribute of a function body that refers to the calling node's attribute.
 */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'graph'; value: Graph }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensors'; value: Tensor[] }
  | { kind: 'graphs'; value: Graph[] }
  | { kind: 'ref'; refName: string; refKind: Exclude<Attr['kind'], 'ref'> };

export type AttrKind = Attr['kind'];

/** Plain JS values accepted by the builder; numbers become ints when integral unless written as float(). */
export type AttrInput = Attr | number | string | number[] | string[] | Tensor | Graph;

export function float(value: number): Attr {
  return { kind: 'float', value };
}

export function floats(value: number[]): Attr {
  return { kind: 'floats', value };
}
