import type { Builder } from '../ir/builder.js';
import type { Model } from '../ir/model.js';
import { tensorType } from '../ir/types.js';
import type { Value } from '../ir/value.js';
import { stateInfo, type StateInfo } from './metadata.js';
import type { FinalStates, StepStates } from './models/layer.js';

/**
 * The recurrent states of a step or prefill graph: a step graph reads `state.<name>` inputs and
 * writes `state_out.<name>` outputs, a prefill graph writes the outputs only; each is float32
 * [batch, H, N, 2], the complex state as (re, im) pairs.
 */
export class StateIo implements StepStates, FinalStates {
  private readonly states: { name: string; H: number; N: number; next: Value | null; meaning?: string }[] = [];

  constructor(private readonly b: Builder) {}

  state(name: string, H: number, N: number, meaning?: string): Value {
    const v = this.b.graph.addInput(`state.${name}`, tensorType('float32', ['batch', H, N, 2]));
    this.states.push({ name, H, N, next: null, meaning });
    const part = (i: number) => this.b.op('Gather', [v, this.b.i64(i, [], 'part')], { axis: -1 });
    return this.b.ssm('Complex', [part(0), part(1)]);
  }

  set(name: string, H: number, N: number, state: Value, meaning?: string): void {
    this.states.push({ name, H, N, next: null, meaning });
    this.setOut(name, state);
  }

  setOut(name: string, next: Value): void {
    const entry = this.states.find((l) => l.name === name);
    if (!entry) throw new Error(`internal: state '${name}' was not declared`);
    const pair = [this.b.ssm('Real', [next]), this.b.ssm('Imag', [next])].map((x) => this.b.unsqueeze(x, [3]));
    entry.next = this.b.concat(pair, 3);
  }

  /** The states become graph outputs; returns their metadata entries. */
  finish(model: Model): StateInfo[] {
    for (const l of this.states) {
      if (!l.next) throw new Error(`internal: state '${l.name}' has no new value`);
      model.graph.renameValue(l.next, `state_out.${l.name}`);
      l.next.type = tensorType('float32', ['batch', l.H, l.N, 2]);
      model.graph.outputs.push(l.next);
    }
    return this.states.map((l) => stateInfo(l.name, l.H, l.N, l.meaning));
  }
}
