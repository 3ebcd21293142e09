import type { Tensor } from '../../../ir/tensor.js';
import { UserError } from '../../errors.js';
import { defineArch } from '../arch.js';
import { DT_RANGE, resolveArgs, trainingOnly, type ArgSchema } from '../args.js';
import { constant } from '../init.js';
import { composite, positionwise, prefixed, sequential } from '../layer.js';
import { layerNorm } from '../layers.js';
import { s4dMinimalLayer, s4dMinimalSchema } from '../s4d-minimal.js';
import { meanPool } from './heads.js';
import { linearLayer } from './pieces.js';

const schema = {
  d_input: { kind: 'int', default: null, min: 1, doc: 'input features per position' },
  d_output: { kind: 'int', default: 10, min: 1, doc: 'outputs (classes)' },
  d_model: { kind: 'int', default: 256, min: 1, doc: 'width H of the S4D layers' },
  n_layers: { kind: 'int', default: 4, min: 1, max: 1024, doc: 'number of S4D layers (at most 1024)' },
  prenorm: { kind: 'bool', default: false, doc: 'LayerNorm before each layer (true) or after its residual sum (false)' },
  d_state: { kind: 'int', default: 64, min: 2, doc: "S4D's state size N (example.py keeps S4D's default 64)" },
  ...DT_RANGE,
  ...trainingOnly('dropout', 'lr'),
} as const satisfies ArgSchema;

/**
 * state-spaces/s4 `example.py` `S4Model`: Linear encoder, `n_layers` S4D layers (models/s4/s4d.py)
 * each with a residual and a LayerNorm (before the layer with prenorm, after the sum without),
 * the mean over positions, a Linear decoder. input [B, L, d_input] → output [B, d_output]; a step
 * graph carries the mean's running sum and count, so its output is the mean of the positions so far.
 */
export const s4Example = defineArch({
  id: 's4-example',
  official: 'state-spaces/s4 example.py S4Model',
  schema,
  validate(args) {
    if (args.d_state % 2 !== 0) throw new UserError(`model file: argument "d_state" of arch 's4-example' must be even, got ${args.d_state}`);
  },
  layer(args) {
    const H = args.d_model;
    const s4dArgs = resolveArgs('s4d-minimal', s4dMinimalSchema, { d_model: H, d_state: args.d_state, transposed: false, dt_min: args.dt_min, dt_max: args.dt_max });
    const blocks = Array.from({ length: args.n_layers }, (_, i) => {
      const s4d = s4dMinimalLayer(s4dArgs, `s4_layers.${i}.`);
      const p = prefixed(`norms.${i}.`);
      const norm = positionwise({
        params: () => [{ name: p('weight'), shape: [H], dtype: 'float32' }, { name: p('bias'), shape: [H], dtype: 'float32' }],
        init: () => [[p('weight'), constant([H], 1)], [p('bias'), constant([H], 0)]] as [string, Tensor][],
        apply: ({ b, params }, x) => layerNorm(b, x, params.real(p('weight')), params.real(p('bias'))),
      });
      // z = norm(x) if prenorm; z = S4D(z); x = z + x; x = norm(x) if not prenorm.
      return composite([s4d, norm], ({ b }, x, run) => {
        const sum = b.add(run(s4d, args.prenorm ? run(norm, x) : x), x);
        return args.prenorm ? sum : run(norm, sum);
      });
    });
    return sequential([linearLayer(args.d_input, H, 'encoder.'), ...blocks, meanPool('pool.'), linearLayer(H, args.d_output, 'decoder.')]);
  },
  io(args) {
    return {
      inputDtype: 'float32', inputShape: (L) => ['batch', L, args.d_input], outputShape: () => ['batch', args.d_output], layout: 'BLH',
      step: { input: ['batch', args.d_input], output: ['batch', args.d_output] },
      stepRows: (L) => ({ start: L - 1, count: 1, squeeze: true }),
    };
  },
});

/** The S4Model arguments an example.py state_dict's shapes give (null when it is not one). */
export function exampleArgsFromTensors(tensors: Map<string, Tensor>): Record<string, number> | null {
  const prefix = tensors.has('encoder.weight') ? '' : tensors.has('module.encoder.weight') ? 'module.' : null;
  if (prefix === null) return null;
  const enc = tensors.get(`${prefix}encoder.weight`)!.dims, dec = tensors.get(`${prefix}decoder.weight`)?.dims;
  const C = tensors.get(`${prefix}s4_layers.0.kernel.C`)?.dims;
  let n = 0;
  while (tensors.has(`${prefix}s4_layers.${n}.D`)) n++;
  if (enc.length !== 2 || !dec || dec.length !== 2 || !C || C.length !== 3 || n === 0) return null;
  return { d_input: enc[1]!, d_model: enc[0]!, d_output: dec[0]!, n_layers: n, d_state: 2 * C[1]! };
}
