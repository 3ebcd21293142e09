import type { Builder } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { tensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { stateInfo, tensorStateInfo, type StateInfo } from './metadata.js';
import type { FinalStates, StateInterface, StepStates } from './models/layer.js';
import { complexStateDims, partAxis, type StateLayout } from './state-layout.js';

/** A declared state: complex [batch, H, N] (an SSM's), or real float32 [batch, ...dims]. */
type Declared = { name: string; next: Value | null } & ({ kind: 'complex'; H: number; N: number; meaning?: string } | { kind: 'real'; dims: readonly number[]; meaning: string; iface: StateInterface });

/**
 * The recurrent states of a step or prefill graph: a step graph reads `state.<name>` inputs and
 * writes `state_out.<name>` outputs, a prefill graph writes the outputs only. A complex state is
 * float32 at the interface in `layout` (state-layout.ts: [batch, H, 2, N] planar by default); a
 * real one float32 [batch, ...dims]. The complex value a layer sees is the Complex of the two
 * planes (Gather on the part axis) and its new value goes out as their Concat: lower-diag-step
 * reads the interface tensor through that pattern, and simplify-views removes the round trip.
 */
export class StateIo implements StepStates, FinalStates {
  private readonly states: Declared[] = [];

  constructor(private readonly b: Builder, readonly layout: StateLayout = 'planar') {}

  state(name: string, H: number, N: number, meaning?: string): Value {
    const v = this.b.graph.addInput(`state.${name}`, tensorType('float32', ['batch', ...complexStateDims(this.layout, H, N)]));
    this.declare({ kind: 'complex', name, H, N, next: null, meaning });
    const part = (i: number) => this.b.op('Gather', [v, this.b.i64(i, [], 'part')], { axis: partAxis(this.layout) });
    return this.b.ssm('Complex', [part(0), part(1)]);
  }

  tensor(name: string, dims: readonly number[], meaning: string, iface: StateInterface = 'state'): Value {
    const v = this.b.graph.addInput(`${iface}.${name}`, tensorType('float32', ['batch', ...dims]));
    this.declare({ kind: 'real', name, dims, next: null, meaning, iface });
    return v;
  }

  set(name: string, H: number, N: number, state: Value, meaning?: string): void {
    this.declare({ kind: 'complex', name, H, N, next: null, meaning });
    this.setOut(name, state);
  }

  setTensor(name: string, dims: readonly number[], state: Value, meaning: string, iface: StateInterface = 'state'): void {
    this.declare({ kind: 'real', name, dims, next: null, meaning, iface });
    this.setOut(name, state);
  }

  setOut(name: string, next: Value): void {
    const entry = this.states.find((l) => l.name === name);
    if (!entry) throw new Error(`internal: state '${name}' was not declared`);
    if (entry.kind === 'real') {
      if (next.type.dtype !== 'float32') throw new Error(`internal: state '${name}' is declared float32, its new value is ${next.type.dtype}`);
      // Its own value, which the interface names. A cache's new value is a tensor its layer has just
      // made (the slot write), named directly: an Identity there copies every slot at every step.
      const fresh = entry.iface === 'cache' && next.producer !== null && !this.b.graph.isOutput(next) && !this.states.some((l) => l.next === next);
      entry.next = fresh ? next : this.b.op('Identity', [next]);
      return;
    }
    const axis = partAxis(this.layout);
    const pair = [this.b.ssm('Real', [next]), this.b.ssm('Imag', [next])].map((x) => this.b.unsqueeze(x, [axis]));
    entry.next = this.b.concat(pair, axis);
  }

  private declare(d: Declared): void {
    if (this.states.some((l) => l.name === d.name)) throw new Error(`internal: state '${d.name}' is declared twice (two layers under one name?)`);
    this.states.push(d);
  }

  /** The states become graph outputs; returns their metadata entries. */
  finish(model: Model): StateInfo[] {
    for (const l of this.states) {
      if (!l.next) throw new Error(`internal: state '${l.name}' has no new value`);
      model.graph.renameValue(l.next, `${l.kind === 'real' ? l.iface : 'state'}_out.${l.name}`);
      l.next.type = tensorType('float32', l.kind === 'complex' ? ['batch', ...complexStateDims(this.layout, l.H, l.N)] : ['batch', ...l.dims]);
      model.graph.outputs.push(l.next);
    }
    return this.states.map((l) => (l.kind === 'complex' ? stateInfo(l.name, l.H, l.N, l.meaning, this.layout) : tensorStateInfo(l.name, l.dims, l.meaning, l.iface)));
  }
}
