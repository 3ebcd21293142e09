import type { ArgValues } from '../args.js';
import { ACTIVATIONS, GLU_ACTIVATIONS } from '../layers.js';
import { ConfigNode } from './config-reader.js';
import type { BackboneSpec, BlockSpec, LayerSpec, NormSpec, ResidualSpec } from './spec.js';

/** `SequenceModel`'s keys (src/models/sequence/backbones/model.py) and what each does at inference. */
const MODEL_KEYS = ['_name_', 'd_model', 'n_layers', 'transposed', 'dropout', 'tie_dropout', 'prenorm', 'bidirectional', 'n_repeat', 'layer', 'residual', 'norm', 'pool', 'track_norms', 'dropinp', 'encoder', 'decoder'];

export const SUPPORTED_LAYERS = ['s4', 's4d', 'ffn', 'mha'];
/** Residual blocks a backbone may have: the parameter list alone grows with them (as gss-lm's depth). */
const MAX_BLOCKS = 1024;
const RESIDUALS = { constant: ['R', 'residual'], skipless: ['F', 'N', 'none', 'ff', 'feedforward'], decay: ['D', 'decay'], affine: ['A', 'affine'], highway: ['H', 'highway'] };
const ALL_RESIDUALS = Object.values(RESIDUALS).flat();
export const SUPPORTED_NORMS = ['layer', 'batch', 'none'];

/** The backbone: `SequenceModel(**config.model)` with its blocks expanded (list of layers cycling). */
export function parseBackbone(model: ConfigNode): BackboneSpec {
  model.object();
  model.onlyKeys(MODEL_KEYS, 'SequenceModel (src/models/sequence/backbones/model.py)');
  const name = model.child('_name_');
  if (!name.isNull && name.str() !== 'model') {
    name.fail(`the backbone '${name.str()}' is not supported`, "ssmc compiles SequenceModel (_name_: model), the backbone of every official S4 experiment");
  }
  const dModel = model.child('d_model').int();
  if (dModel < 1 || dModel > 1 << 20) model.child('d_model').fail(`must be from 1 to ${1 << 20}`);
  const nLayers = model.child('n_layers').int(1);
  const nRepeat = model.child('n_repeat').int(1);
  if (nLayers < 0 || nRepeat < 1) model.child(nLayers < 0 ? 'n_layers' : 'n_repeat').fail('must be a positive integer');
  const transposed = model.child('transposed').bool(false);
  const prenorm = model.child('prenorm').bool(true);
  const bidirectional = model.child('bidirectional').bool(false);
  if (bidirectional && transposed) {
    model.child('bidirectional').fail(
      'a bidirectional backbone with transposed: true cannot run in the official code (its bidirectional_linear is applied to the length axis)',
      'use transposed: false, or the S4 layer\'s own bidirectional kernel (layer.bidirectional)',
    );
  }
  const layers = model.child('layer').items();
  if (layers.length === 0) model.child('layer').fail('must name at least one layer', `supported layers: ${SUPPORTED_LAYERS.join(', ')}`);
  const count = layers.length * nLayers * nRepeat;
  if (count > MAX_BLOCKS) {
    model.child('n_layers').fail(`gives ${count} residual blocks (${layers.length} layer${layers.length > 1 ? 's' : ''} × n_layers ${nLayers} × n_repeat ${nRepeat}), over ssmc's ${MAX_BLOCKS}`, 'the official S4 models have at most a few dozen; check n_layers');
  }
  const layerSpecs = layers.map((l) => parseLayer(l, dModel));
  const norm = parseNorm(model.child('norm'), transposed);
  parsePool(model.child('pool'));
  const residualNode = model.child('residual');
  const blocks: BlockSpec[] = [];
  // `layer * n_layers * n_repeat`: the list repeated, so [s4, ffn] with n_layers 2 is s4, ffn, s4, ffn.
  for (let i = 0; i < layerSpecs.length * nLayers * nRepeat; i++) {
    blocks.push({ index: i, layer: layerSpecs[i % layerSpecs.length]!, norm, residual: parseResidual(residualNode, i + 1) });
  }
  return { dModel, transposed, prenorm, bidirectional, blocks, finalNorm: prenorm ? norm : null };
}

function parsePool(pool: ConfigNode): void {
  if (pool.isNull) return;
  const { name, kwargs } = pool.named();
  kwargs.onlyKeys(['_name_', 'stride', 'expand'], `pool '${name}'`);
  const stride = kwargs.child('stride').int(1);
  const expand = kwargs.child('expand').optInt();
  if (!['pool', 'avg'].includes(name) || stride !== 1 || (expand !== null && expand !== 1)) {
    pool.fail(
      `pooling that changes the sequence (${name}, stride ${stride}${expand !== null ? `, expand ${expand}` : ''}) is not supported`,
      'ssmc supports pool with stride 1 and no expand (the identity, as every official S4 config has it)',
    );
  }
  if (expand === 1) pool.child('expand').fail('expand 1 adds a Linear that ssmc does not compile', 'use expand: null');
}

function parseResidual(node: ConfigNode, iLayer: number): ResidualSpec | null {
  if (node.isNull) return null;
  const { name, kwargs } = node.named();
  if (!ALL_RESIDUALS.includes(name)) {
    node.fail(`unknown residual '${name}'`, `the official residuals are ${ALL_RESIDUALS.join(', ')}`);
  }
  if (RESIDUALS.skipless.includes(name)) {
    kwargs.onlyKeys(['_name_'], `residual '${name}'`);
    return { kind: 'constant', alpha: 0, beta: 1 };
  }
  if (RESIDUALS.constant.includes(name)) {
    kwargs.onlyKeys(['_name_', 'alpha', 'beta'], `residual '${name}'`);
    return { kind: 'constant', alpha: kwargs.child('alpha').num(1), beta: kwargs.child('beta').num(1) };
  }
  if (RESIDUALS.decay.includes(name)) {
    kwargs.onlyKeys(['_name_', 'power', 'l2'], `residual '${name}'`);
    const beta = iLayer ** -kwargs.child('power').num(0.5);
    const alpha = kwargs.child('l2').bool(true) ? Math.sqrt(1 - beta ** 2) : 1 - beta;
    return { kind: 'constant', alpha, beta };
  }
  if (RESIDUALS.affine.includes(name)) {
    kwargs.onlyKeys(['_name_', 'alpha', 'beta', 'scalar', 'gamma'], `residual '${name}'`);
    return { kind: 'affine', alpha: kwargs.child('alpha').num(1), scalar: kwargs.child('scalar').bool(true) };
  }
  kwargs.onlyKeys(['_name_', 'scaling_correction', 'elemwise'], `residual '${name}'`);
  return { kind: 'highway', elemwise: kwargs.child('elemwise').bool(false), scalingCorrection: kwargs.child('scaling_correction').bool(false) ? 1.732 : 1 };
}

/** `Normalization(d, transposed, norm)`: null for no norm module at all. */
export function parseNorm(node: ConfigNode, transposed: boolean): NormSpec | null {
  if (node.isNull) return null;
  const { name, kwargs } = node.named();
  switch (name) {
    case 'layer':
      if (transposed) {
        kwargs.onlyKeys(['_name_', 'scalar'], 'TransposedLN');
        return kwargs.child('scalar').bool(true) ? { kind: 'transposed-scalar' } : { kind: 'transposed-ln' };
      }
      kwargs.onlyKeys(['_name_', 'eps', 'elementwise_affine'], 'nn.LayerNorm');
      return { kind: 'layer', eps: kwargs.child('eps').num(1e-5), affine: kwargs.child('elementwise_affine').bool(true) };
    case 'batch': {
      kwargs.onlyKeys(['_name_', 'eps', 'momentum', 'affine', 'track_running_stats'], 'nn.BatchNorm1d');
      if (!kwargs.child('track_running_stats').bool(true)) {
        kwargs.child('track_running_stats').fail('batch norm without running statistics normalises with each batch\'s own statistics even in eval, which has no fixed inference graph', 'train with track_running_stats: true');
      }
      return { kind: 'batch', eps: kwargs.child('eps').num(1e-5), affine: kwargs.child('affine').bool(true) };
    }
    case 'none':
      kwargs.onlyKeys(['_name_'], "norm 'none'");
      return { kind: 'none' };
    case 'instance':
    case 'group':
      return node.fail(
        `norm '${name}' normalises with statistics over the sequence (${name === 'instance' ? 'per channel over all positions' : 'over all positions and channels'}), which ssmc does not compile`,
        `supported norms: ${SUPPORTED_NORMS.join(', ')} (and null)`,
      );
    default:
      return node.fail(`unknown norm '${name}'`, `supported norms: ${SUPPORTED_NORMS.join(', ')} (and null)`);
  }
}

/** One entry of `model.layer`. */
function parseLayer(node: ConfigNode, dModel: number): LayerSpec {
  node.object();
  const name = node.child('_name_').str();
  switch (name) {
    case 's4':
      return { kind: 's4', args: s4BlockArgs(node, dModel), init: node.child('measure').optStr() ?? node.child('init').optStr() ?? 'legs' };
    case 's4d':
      node.onlyKeys(['_name_', 'd_state', 'dropout', 'transposed', 'dt_min', 'dt_max', 'lr'], 'S4D (models/s4/s4d.py)');
      return {
        kind: 's4d',
        args: { d_model: dModel, d_state: node.child('d_state').int(64), transposed: false, dt_min: node.child('dt_min').num(0.001), dt_max: node.child('dt_max').num(0.1) },
      };
    case 'ffn':
      return parseFfn(node, dModel);
    case 'mha':
      return parseMha(node, dModel);
    default:
      return node.child('_name_').fail(`layer '${name}' is not supported`, `supported layers: ${SUPPORTED_LAYERS.join(', ')}`);
  }
}

/**
 * attention/mha.py's MultiheadAttention: nn.MultiheadAttention(d_model, n_heads, dropout, bias,
 * add_bias_kv, add_zero_attn, kdim, vdim, batch_first=True) called as self-attention with the
 * causal mask triu(ones(L, L), 1).
 */
function parseMha(node: ConfigNode, dModel: number): LayerSpec {
  node.onlyKeys(['_name_', 'n_heads', 'causal', 'dropout', 'bias', 'add_bias_kv', 'add_zero_attn', 'kdim', 'vdim', 'transposed'], 'MultiheadAttention (src/models/sequence/attention/mha.py)');
  const nHeads = node.child('n_heads').int();
  if (nHeads < 1 || dModel % nHeads !== 0) node.child('n_heads').fail(`must be a positive divisor of d_model (${dModel}): nn.MultiheadAttention splits the width into heads of d_model / n_heads`);
  if (!node.child('causal').bool(true)) {
    node.child('causal').fail('non-causal attention (every position sees the whole sequence) is not supported', 'ssmc compiles causal attention (causal: true), which has a step form with a key/value cache');
  }
  for (const k of ['add_bias_kv', 'add_zero_attn'] as const) {
    if (node.child(k).bool(false)) {
      node.child(k).fail(
        `${k} appends a ${k === 'add_bias_kv' ? 'learned' : 'zero'} key/value position that every query attends to, outside the causal sequence; ssmc's attention does not compile it`,
        `train with ${k}: false`,
      );
    }
  }
  for (const k of ['kdim', 'vdim'] as const) {
    const d = node.child(k).optInt();
    if (d !== null && d !== dModel) {
      node.child(k).fail(`${k} ${d} differs from d_model ${dModel}, but mha.py passes the layer's own input as key and value, so the official forward cannot run with it`, `use ${k}: null`);
    }
  }
  return { kind: 'mha', nHeads, bias: node.child('bias').bool(true) };
}

function parseFfn(node: ConfigNode, dModel: number): LayerSpec {
  node.onlyKeys(['_name_', 'expand', 'd_output', 'transposed', 'activation', 'initializer', 'dropout', 'tie_dropout'], 'FFN (src/models/sequence/modules/ffn.py)');
  const dOut = node.child('d_output').optInt();
  if (dOut !== null && dOut !== dModel) node.child('d_output').fail(`an FFN whose output width (${dOut}) differs from d_model (${dModel}) cannot sit in a residual block`, 'use d_output: null');
  const activation = node.child('activation').isMissing ? 'gelu' : node.child('activation').optStr();
  checkActivation(node.child('activation'), activation, [...GLU_ACTIVATIONS, ...ACTIVATIONS]);
  const dInner = Math.trunc(node.child('expand').num(2) * dModel);
  if (dInner < 1) node.child('expand').fail(`makes the hidden width int(expand · d_model) = ${dInner}`, 'give expand > 0');
  return { kind: 'ffn', dInner, activation };
}

/** Keys of the s4 layer that only shape training or initialisation (values accepted and ignored). */
const S4_TRAINING_KEYS = [
  'dropout', 'tie_dropout', 'drop_kernel', 'lr', 'wd', 'verbose', 'initializer', 'deterministic', 'transposed', 'backend', 'measure',
  'real_random', 'real_scale', 'imag_scale', 'B_init', 'B_scale', 'P_scale', 'normalize', 'gate_act',
];
/** Keys passed on to the s4-block arch as they are. */
const S4_BLOCK_KEYS = ['d_state', 'channels', 'bidirectional', 'mode', 'rank', 'dt_min', 'dt_max', 'dt_tie', 'dt_transform', 'real_transform', 'imag_transform', 'n_ssm', 'l_max', 'disc', 'bandlimit', 'swap_channels'];
const S4_CHECKED_KEYS = ['_name_', 'activation', 'mult_act', 'final_act', 'postact', 'init', 'gate', 'bottleneck', 'weight_norm', 'layer', 'kernel', 'dt_fast', 'is_real'];
const S4_INITS = ['legs', 'fout', 'fourier', 'legt', 'lagt', 'hippo', 'diag', 'all', 'diag-legs', 'dplr-legs', 'diag-lin', 'diag-inv', 'diag-inv2', 'diag-quad', 'diag-real'];

/** The S4Block config (configs/model/layer/s4.yaml) as s4-block arch arguments, features last. */
function s4BlockArgs(node: ConfigNode, dModel: number): ArgValues {
  node.onlyKeys([...S4_BLOCK_KEYS, ...S4_TRAINING_KEYS, ...S4_CHECKED_KEYS], "the s4 layer (S4Block, FFTConv and its kernel)");
  for (const k of ['gate', 'bottleneck'] as const) {
    if (!node.child(k).isNull) node.child(k).fail(`S4Block's ${k} is broken in the official code at e757cef (the module cannot be built), so no checkpoint has it`, `set ${k}: null`);
  }
  if (node.child('weight_norm').bool(false)) node.child('weight_norm').fail('weight-normalised output_linear (weight_g, weight_v) is not supported', 'train with weight_norm: false, or fold the norm into the weight before saving');
  if (node.child('layer').str('fftconv') !== 'fftconv') node.child('layer').fail(`S4Block's inner layer '${node.child('layer').str()}' is not supported`, 'ssmc compiles layer: fftconv');
  if (!node.child('kernel').isNull) node.child('kernel').fail('a kernel object passed in is not supported', 'select the kernel with mode');
  if (node.child('dt_fast').bool(false)) node.child('dt_fast').fail('the sinh parameterisation of Δ (dt_fast) is not supported', 'train with dt_fast: false');
  if (node.child('is_real').bool(false)) node.child('is_real').fail('real-valued SSMs (is_real) are not supported', 'train with is_real: false');
  const mode = node.child('mode').str('nplr');
  if (!['diag', 's4d', 'dplr', 's4', 'nplr'].includes(mode)) {
    node.child('mode').fail(`kernel mode '${mode}' is not supported`, 'supported modes: nplr, dplr, s4 (S4, DPLR) and diag, s4d (S4D)');
  }
  const activation = node.child('activation').isMissing ? 'gelu' : node.child('activation').optStr();
  checkActivation(node.child('activation'), activation, ACTIVATIONS);
  const multAct = node.child('mult_act').optStr();
  checkActivation(node.child('mult_act'), multAct, ACTIVATIONS);
  // 'postact' is the old name of final_act: the official code swaps them (final_act must then be null).
  let finalAct = node.child('final_act').isMissing ? 'glu' : node.child('final_act').optStr();
  const postact = node.child('postact').optStr();
  if (postact !== null) {
    if (finalAct !== null) node.child('postact').fail('postact (the old name of final_act) needs final_act: null, as the official S4Block asserts');
    finalAct = postact;
  }
  checkActivation(node.child(postact !== null ? 'postact' : 'final_act'), finalAct, [...GLU_ACTIVATIONS, ...ACTIVATIONS]);
  const args: ArgValues = { d_model: dModel, transposed: false, activation, mult_act: multAct, final_act: finalAct, mode };
  // s4.yaml's defaults where the key is absent, so a short config means what the official one does.
  const defaults: ArgValues = { d_state: 64, channels: 1, bidirectional: false, rank: 1, dt_min: 0.001, dt_max: 0.1, dt_transform: 'softplus', n_ssm: 1, l_max: null };
  for (const k of S4_BLOCK_KEYS) {
    const v = node.child(k).value;
    if (v !== undefined) {
      if (v !== null && typeof v === 'object') node.child(k).fail(`must be a single value, got ${Array.isArray(v) ? 'a list' : 'a mapping'}`);
      args[k] = v as number | string | boolean | null;
    } else if (k in defaults) args[k] = defaults[k]!;
  }
  // The initialisation only matters for a fresh model (a checkpoint carries the values); `measure` is its old name.
  const init = node.child('measure').optStr() ?? node.child('init').optStr() ?? 'legs';
  if (S4_INITS.includes(init)) args.init = init;
  return args;
}

function checkActivation(node: ConfigNode, name: string | null, allowed: readonly string[]): void {
  if (name !== null && !allowed.includes(name)) {
    node.fail(`activation '${name}' is not supported here`, `use one of ${allowed.filter((a) => !a.startsWith('glu-')).join(', ')}${allowed.includes('glu-gelu') ? ', glu-<act>' : ''}, or null`);
  }
}
