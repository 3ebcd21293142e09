import type { ArgValues } from '../args.js';

/**
 * A whole state-spaces/s4 model (the training pipeline's encoder, `SequenceModel` backbone and
 * decoder), typed and validated from the Hydra config's fields: what the layers of
 * src/models/sequence build. Everything here changes inference; training-only keys are gone.
 */
export interface SequenceSpec {
  /** d_model: the backbone's width H. */
  dModel: number;
  /** Model input: float32 [B, L, dInput] or int64 token ids [B, L]. */
  input: { kind: 'float'; dInput: number } | { kind: 'tokens'; nTokens: number };
  /** Encoders in order, each under its `encoder.<i>.` prefix. */
  encoders: EncoderSpec[];
  backbone: BackboneSpec;
  /** Decoders in order, each under its `decoder.<i>.` prefix. */
  decoders: DecoderSpec[];
  /** Width of the output's last axis. */
  dOutput: number;
}

export type EncoderSpec =
  | { kind: 'linear'; index: number; dIn: number; dOut: number; bias: boolean }
  | { kind: 'embedding'; index: number; nTokens: number; dOut: number }
  /** The lm task's Scalar(√d_model): no tensors, so it has an index but no keys. */
  | { kind: 'scale'; index: number; factor: number }
  | { kind: 'id'; index: number };

export type DecoderSpec =
  | {
      kind: 'sequence';
      index: number;
      mode: 'last' | 'first' | 'pool' | 'sum';
      /** null: every position; 0: one output per sequence (squeezed); k: k positions. */
      lOutput: number | null;
      /** output_transform Linear(dIn → dOut), or none (the identity) when the dataset has no d_output. */
      dIn: number;
      dOut: number | null;
      useLengths: boolean;
    }
  | { kind: 'linear'; index: number; dIn: number; dOut: number; bias: boolean }
  | { kind: 'id'; index: number };

export interface BackboneSpec {
  dModel: number;
  /** Only changes which LayerNorm class a 'layer' norm is (TransposedLN vs nn.LayerNorm). */
  transposed: boolean;
  prenorm: boolean;
  /** The backbone's `bidirectional`: a second layer on the same input, concatenated and mixed. */
  bidirectional: boolean;
  blocks: BlockSpec[];
  /** `model.norm`: only with prenorm and a norm; null otherwise. */
  finalNorm: NormSpec | null;
}

export interface BlockSpec {
  /** i in model.layers.{i}; the residual's i_layer is i + 1. */
  index: number;
  layer: LayerSpec;
  norm: NormSpec | null;
  residual: ResidualSpec | null;
}

export type LayerSpec =
  /** S4Block (src/models/sequence/modules/s4block.py): the s4-block arch's arguments, features last. */
  | { kind: 's4'; args: ArgValues; init: string }
  /** models/s4/s4d.py S4D: the s4d-minimal arch's arguments, features last. */
  | { kind: 's4d'; args: ArgValues }
  | { kind: 'ffn'; dInner: number; activation: string | null }
  /** attention/mha.py: causal nn.MultiheadAttention (batch_first) as self-attention, under `layer.mha.`. */
  | { kind: 'mha'; nHeads: number; bias: boolean };

export type NormSpec =
  | { kind: 'layer'; eps: number; affine: boolean }
  /** TransposedLN with scalar m, s: y = s·(x − μ + m)/σ over features, biased σ, no eps. */
  | { kind: 'transposed-scalar' }
  /** TransposedLN(scalar=False): an nn.LayerNorm under `ln.`. */
  | { kind: 'transposed-ln' }
  /** BatchNorm1d in eval: running statistics, folded into one affine map per channel. */
  | { kind: 'batch'; eps: number; affine: boolean }
  | { kind: 'none' };

export type ResidualSpec =
  /** alpha·x + beta·y (R; F/N/none/ff/feedforward are alpha 0; D is R with depth-dependent constants). */
  | { kind: 'constant'; alpha: number; beta: number }
  /** alpha·x + c·y with c the tensor `residual.affine` ([1] or [d]). */
  | { kind: 'affine'; alpha: number; scalar: boolean }
  /** Highway: r = σ(Wx x + Wy y), z = sc·(1 − r)·x + r·(Wy y) (the official forward rebinds y). */
  | { kind: 'highway'; elemwise: boolean; scalingCorrection: number };
