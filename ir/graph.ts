import type { Attr } from './attr.js';
import { Node } from './node.js';
import type { Tensor } from './tensor.js';
import type { TensorType } from './types.js';
import { tensorType } from './types.js';
import { Value } from './value.js';

/** Names are unique across a model, nested graphs included (ONNX requires it for SSA). */
class NameScope {
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();

  claim(name: string): string {
    if (!this.used.has(name)) {
      this.used.add(name);
      return name;
    }
    return this.fresh(name);
  }

  fresh(base: string): string {
    let k = this.counters.get(base) ?? 0;
    let name: string;
    do {
      k++;
      name = `${base}_${k}`;
    } while (this.used.has(name));
    this.counters.set(base, k);
    this.used.add(name);
    return name;
  }

  release(name: string): void {
    this.used.delete(name);
  }
}

export interface CreateNodeOptions {
  name?: string;
  /** The node's module scope: its name becomes '<scope>/<name>' (see Node.scope). */
  scope?: string;
  /** Insert before this node instead of appending. */
  before?: Node | null;
  outputNames?: string[];
  outputTypes?: TensorType[];
}

/**
 * A graph: ordered inputs, initializers, nodes in topological order, ordered outputs.
 * Nested graphs (Scan/Loop/If bodies, function bodies) share the root's name scope and may read
 * values of enclosing graphs.
 */
export class Graph {
  name: string;
  readonly parent: Graph | null;
  readonly inputs: Value[] = [];
  readonly initializers: Value[] = [];
  readonly nodes: Node[] = [];
  readonly outputs: Value[] = [];
  docString = '';
  /** Value names (ONNX's SSA namespace). */
  readonly scope: NameScope;
  /** Node names: a namespace of their own, so a node and its output can share a name. */
  readonly nodeScope: NameScope;
  /** The origin stamped on nodes created now (see withOrigin); kept by the root graph. */
  private currentOrigin: string | null = null;

  constructor(name = 'main', parent: Graph | null = null) {
    this.name = name;
    this.parent = parent;
    this.scope = parent ? parent.scope : new NameScope();
    this.nodeScope = parent ? parent.nodeScope : new NameScope();
  }

  addInput(name: string, type: TensorType): Value {
    const v = new Value(this.scope.claim(name), type);
    this.inputs.push(v);
    return v;
  }

  addInitializer(name: string, tensor: Tensor): Value {
    const v = new Value(this.scope.claim(name), tensorType(tensor.dtype, tensor.dims));
    v.constant = tensor;
    this.initializers.push(v);
    return v;
  }

  removeInitializer(v: Value): void {
    if (v.uses.length > 0 || this.outputs.includes(v)) {
      throw new Error(`cannot remove initializer '${v.name}': it is still used`);
    }
    const i = this.initializers.indexOf(v);
    if (i < 0) throw new Error(`'${v.name}' is not an initializer of graph '${this.name}'`);
    this.initializers.splice(i, 1);
    this.scope.release(v.name);
  }

  /** The outermost graph: nested bodies share its name scopes and its current origin. */
  get root(): Graph {
    let g: Graph = this;
    while (g.parent) g = g.parent;
    return g;
  }

  /**
   * Run `build` with every node it creates (in this graph or its nested bodies) stamped with
   * `origin`, unless an enclosing call set one already: a node lowered from a node lowered from
   * a LongConv still comes from the LongConv.
   */
  withOrigin<T>(origin: string | null, build: () => T): T {
    const root = this.root;
    const saved = root.currentOrigin;
    if (saved === null) root.currentOrigin = origin;
    try {
      return build();
    } finally {
      root.currentOrigin = saved;
    }
  }

  freshName(base: string): string {
    return this.scope.fresh(base);
  }

  createNode(
    domain: string,
    op: string,
    inputs: readonly (Value | null)[],
    attrs: ReadonlyMap<string, Attr> | Record<string, Attr>,
    numOutputs: number,
    opts: CreateNodeOptions = {},
  ): Node {
    const scope = opts.scope ?? '';
    const base = opts.name ?? op.toLowerCase();
    const node = new Node(this, this.nodeScope.claim(scope ? `${scope}/${base}` : base), domain, op);
    node.scope = scope;
    node.origin = this.root.currentOrigin;
    inputs.forEach((v, i) => node.setInput(i, v));
    const entries = attrs instanceof Map ? [...attrs.entries()] : Object.entries(attrs);
    for (const [k, a] of entries) node.attrs.set(k, a);
    for (let i = 0; i < numOutputs; i++) {
      const base = opts.outputNames?.[i] ?? (numOutputs === 1 ? node.name : `${node.name}.${i}`);
      const v = new Value(this.scope.claim(base), opts.outputTypes?.[i] ?? tensorType('float32', null));
      v.producer = node;
      v.outputIndex = i;
      node.outputs.push(v);
    }
    const before = opts.before ?? null;
    if (before) {
      const at = this.nodes.indexOf(before);
      if (at < 0) throw new Error(`internal: insertion point '${before.name}' is not in graph '${this.name}'`);
      this.nodes.splice(at, 0, node);
    } else {
      this.nodes.push(node);
    }
    return node;
  }

  /** Remove a node whose outputs are unused. */
  removeNode(node: Node): void {
    for (const out of node.outputs) {
      if (out.uses.length > 0) {
        throw new Error(`cannot remove node '${node.name}': output '${out.name}' is used by '${out.uses[0]!.node.name}'`);
      }
      if (this.outputs.includes(out)) throw new Error(`cannot remove node '${node.name}': '${out.name}' is a graph output`);
    }
    const i = this.nodes.indexOf(node);
    if (i < 0) throw new Error(`internal: node '${node.name}' is not in graph '${this.name}'`);
    node.dropInputs();
    this.nodes.splice(i, 1);
    for (const out of node.outputs) this.scope.release(out.name);
    this.nodeScope.release(node.name);
  }

  /**
   * Point every use of `from` at `to`. Graph outputs are left alone unless `includeOutputs` is set,
   * because replacing a graph output changes the model's interface.
   */
  replaceAllUsesWith(from: Value, to: Value, includeOutputs = false): void {
    if (from === to) return;
    for (const use of [...from.uses]) use.node.setInput(use.index, to);
    if (includeOutputs) {
      for (let g: Graph | null = this; g; g = g.parent) {
        const i = g.outputs.indexOf(from);
        if (i >= 0) g.replaceOutput(i, to);
      }
    }
  }

  /** Replace graph output `i` by `v`, keeping the output's public name. */
  replaceOutput(i: number, v: Value): void {
    const old = this.outputs[i];
    if (!old) throw new Error(`graph '${this.name}' has no output ${i}`);
    if (old === v) return;
    const publicName = old.name;
    this.outputs[i] = v;
    if (v.name !== publicName && (v.producer !== null) && !this.inputs.includes(v)) {
      // The interface keeps its name: rename the new value and give the old one a fresh name.
      old.name = this.scope.fresh(publicName);
      this.scope.release(v.name);
      v.name = publicName;
    }
  }

  /** Give a value a new (unique) name, e.g. the public name of a graph output. */
  renameValue(v: Value, name: string): void {
    if (v.name === name) return;
    this.scope.release(v.name);
    v.name = this.scope.claim(name);
    if (v.name !== name) throw new Error(`internal: the name '${name}' is already taken`);
  }

  isOutput(v: Value): boolean {
    return this.outputs.includes(v);
  }

  /** Every value defined in this graph (inputs, initializers, node outputs). */
  *values(): Iterable<Value> {
    yield* this.inputs;
    yield* this.initializers;
    for (const n of this.nodes) yield* n.outputs;
  }

  findValue(name: string): Value | undefined {
    for (const v of this.values()) if (v.name === name) return v;
    return this.parent?.findValue(name);
  }
}
