import type { Node } from './node.js';
import type { Tensor } from './tensor.js';
import type { TensorType } from './types.js';

/** One use of a value: input slot `index` of `node`. Uses are kept in the order they were made. */
export interface Use {
  readonly node: Node;
  readonly index: number;
}

/**
 * An SSA value. It is produced by exactly one node output, or is a graph input, or an initializer
 * (then `constant` holds its data). Its `uses` are maintained by Node and Graph methods only:
 * never push to them directly.
 */
export class Value {
  name: string;
  type: TensorType;
  producer: Node | null = null;
  /** Output slot of `producer`. */
  outputIndex = 0;
  /** Initializer data, when the value is a graph constant. */
  constant: Tensor | null = null;
  readonly uses: Use[] = [];
  /**
   * Known element values of a small 1-D integer tensor whose entries may be symbolic (the output of
   * `Shape` on a [batch, 4, L] input is ['batch', 4, 'L']). Filled by shape inference; lets Reshape,
   * Expand and friends keep symbolic dims through dynamic-shape arithmetic.
   */
  shapeValue: (number | string | null)[] | null = null;
  /**
   * An optional output slot its source file left empty (''): written back empty while nothing
   * reads it, since naming an optional output can make an op compute it.
   */
  omitted = false;

  constructor(name: string, type: TensorType) {
    this.name = name;
    this.type = type;
  }

  get isConstant(): boolean {
    return this.constant !== null;
  }

  /** @internal */ addUse(node: Node, index: number): void {
    this.uses.push({ node, index });
  }

  /** @internal */ removeUse(node: Node, index: number): void {
    const i = this.uses.findIndex((u) => u.node === node && u.index === index);
    if (i < 0) throw new Error(`internal: value '${this.name}' has no use by node '${node.name}' slot ${index}`);
    this.uses.splice(i, 1);
  }
}
