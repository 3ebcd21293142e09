import type { Dim } from '../../../ir/types.js';
import { UserError } from '../../errors.js';
import type { Arch, ConfiguredModel, ModelIo } from '../arch.js';
import type { ArgValues } from '../args.js';
import { sequential, type Layer } from '../layer.js';
import { mhaLayer } from '../attention.js';
import { s4Block, s4BlockLayer, type S4BlockArgs } from '../s4-block.js';
import { s4dMinimal, s4dMinimalLayer, type S4dMinimalArgs } from '../s4d-minimal.js';
import { backboneLayer } from './backbone.js';
import { decoderLayer, encoderLayer } from './heads.js';
import { buildSpec, parseStructure } from './parse.js';
import { ffnLayer } from './pieces.js';
import type { LayerSpec, SequenceSpec } from './spec.js';

/**
 * state-spaces/s4's training pipeline as one model: the task's and the config's encoders, the
 * `SequenceModel` backbone and the decoders, configured by the Hydra config's sections (`model`,
 * `encoder`, `decoder`, `dataset`, `task`) and the dataset's attributes (`d_input`, `d_output`,
 * `n_tokens`, `l_output`), with the state_dict names of a Lightning checkpoint
 * (`model.layers.0.layer.layer.kernel.C`, `encoder.0.weight`, `decoder.0.output_transform.weight`).
 * Its args are config data, read by its own rules (src/models/sequence/parse.ts), not a flat schema.
 */
export const s4Sequence: Arch = {
  id: 's4-sequence',
  official: 'state-spaces/s4 src/models/sequence/backbones/model.py SequenceModel with the src/tasks encoder and decoder',
  schema: {},
  configure(given) {
    const structure = parseStructure(given);
    const spec = buildSpec(structure);
    const inner = innerLayers(spec);
    const layer = sequential([
      ...spec.encoders.map(encoderLayer),
      backboneLayer(spec.backbone, (l, prefix) => inner.layer(l, prefix)),
      ...spec.decoders.map(decoderLayer),
    ]);
    const tied = structure.task.tied ? spec.decoders.at(-1) : undefined;
    return {
      arch: s4Sequence,
      args: given as ArgValues,
      layer: tied?.kind === 'linear' ? tieOutput(layer, `decoder.${tied.index}.weight`, 'encoder.0.weight') : layer,
      io: io(spec),
      compileCost: (target) => inner.costs.flatMap((c) => c.compileCost(target)),
    };
  },
};

/**
 * The S4 and S4D layers inside the blocks, each checked by its own arch (s4-block, s4d-minimal),
 * with their refusals named by the config's path; and their compile-time work, for the budget.
 */
function innerLayers(spec: SequenceSpec): { layer: (l: LayerSpec, prefix: string) => Layer; costs: ConfiguredModel[] } {
  const configured = new Map<LayerSpec, ConfiguredModel>();
  // Blocks cycle through the config's list, so a spec's first block is its index in the list.
  const where = (l: LayerSpec) => `model.layer[${spec.backbone.blocks.find((b) => b.layer === l)!.index}]`;
  for (const bl of spec.backbone.blocks) {
    const l = bl.layer;
    if (configured.has(l) || l.kind === 'ffn' || l.kind === 'mha') continue;
    try {
      configured.set(l, (l.kind === 's4' ? s4Block : s4dMinimal).configure(l.args));
    } catch (e) {
      if (e instanceof UserError) throw new UserError(`config '${where(l)}': ${e.message.replace(/^model file: /, '')}`, { cause: e });
      throw e;
    }
  }
  return {
    // One per block: blocks cycling through one spec each do its compile-time work.
    costs: spec.backbone.blocks.flatMap((b) => configured.get(b.layer) ?? []),
    layer(l, prefix) {
      switch (l.kind) {
        case 's4':
          return withFreshInitCheck(s4BlockLayer(configured.get(l)!.args as unknown as S4BlockArgs, prefix), `${prefix.slice(0, -1)} (init '${l.init}')`);
        case 's4d':
          return s4dMinimalLayer(configured.get(l)!.args as unknown as S4dMinimalArgs, prefix);
        case 'ffn':
          return ffnLayer(spec.dModel, l.dInner, l.activation, prefix);
        case 'mha':
          return mhaLayer({ dModel: spec.dModel, nHeads: l.nHeads, bias: l.bias, chunk: 0 }, `${prefix}mha.`, prefix.slice(0, -1));
      }
    },
  };
}

/** A fresh S4 layer needs an initialisation ssmc reproduces (a checkpoint's values need none): a refusal names the layer. */
function withFreshInitCheck(layer: Layer, where: string): Layer {
  return {
    ...layer,
    init: (rng) => {
      try {
        return layer.init(rng);
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`${where}: ${e.message.replace(/^model file: /, '')}`, { cause: e });
        throw e;
      }
    },
  };
}

/** The lm task with tied: true: a fresh model's output Linear weight is the embedding's tensor. */
function tieOutput(layer: Layer, output: string, embedding: string): Layer {
  return {
    ...layer,
    init: (rng) => {
      const tensors = layer.init(rng);
      const table = tensors.find(([name]) => name === embedding)![1];
      return tensors.map(([name, t]) => [name, name === output ? table : t]);
    },
  };
}

/** The output's positions: the last sequence decoder decides (l_output none: all; 0: one, squeezed; k: k). */
function outputRows(spec: SequenceSpec): { kind: 'all' } | { kind: 'one'; from: 'last' | 'first' } | { kind: 'some'; count: number; from: 'last' | 'first' } {
  const seq = spec.decoders.filter((d) => d.kind === 'sequence').at(-1);
  if (!seq || seq.kind !== 'sequence' || seq.lOutput === null) return { kind: 'all' };
  const from = seq.mode === 'first' ? 'first' : 'last';
  return seq.lOutput === 0 ? { kind: 'one', from } : { kind: 'some', count: seq.lOutput, from };
}

function io(spec: SequenceSpec): ModelIo {
  const rows = outputRows(spec);
  const d = spec.dOutput;
  const input = spec.input;
  return {
    inputDtype: input.kind === 'tokens' ? 'int64' : 'float32',
    inputShape: (L: Dim) => (input.kind === 'tokens' ? ['batch', L] : ['batch', L, input.dInput]),
    outputShape: (L: Dim) => (rows.kind === 'all' ? ['batch', L, d] : rows.kind === 'one' ? ['batch', d] : ['batch', rows.count, d]),
    step: { input: input.kind === 'tokens' ? ['batch'] : ['batch', input.dInput], output: ['batch', d] },
    layout: input.kind === 'tokens' ? 'BL' : 'BLH',
    ...(input.kind === 'tokens' ? { vocab: input.nTokens } : {}),
    stepRows: (L: number) => {
      if (rows.kind === 'all') return { start: 0, count: L, squeeze: false };
      const count = rows.kind === 'one' ? 1 : Math.min(rows.count, L);
      return { start: rows.from === 'first' ? 0 : L - count, count, squeeze: rows.kind === 'one' };
    },
  };
}
