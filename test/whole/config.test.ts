import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelToBytes } from '../../export/onnx-write.js';
import { compileModel } from '../../src/compile.js';
import { UserError } from '../../src/errors.js';
import { loadModelSource } from '../../src/model-source.js';
import { buildSpec, parseStructure } from '../../src/models/sequence/parse.js';
import { runOnnx } from '../../src/runtime/run.js';
import { WHOLE_FIXTURES, wholeIo, WHOLE_CASES } from '../helpers/whole.js';

/**
 * The s4-sequence config rules: what changes inference and is not supported is refused by the
 * key's path with the reason and the supported list; training-only keys are accepted and change
 * nothing; the dataset's attributes come from flags, the checkpoint's shapes or the dataset's name
 * and compile says which; configs that compose files or leave interpolations open are reported.
 */
const base = loadModelSource(undefined, `${WHOLE_FIXTURES}s4_ffn_cycle/last.ckpt`);
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
type Args = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const spec = (args: Args) => buildSpec(parseStructure(args));

function refusal(edit: (a: Args) => void): string {
  const args = clone(base.file.args) as Args;
  edit(args);
  try {
    spec(args);
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('what changes inference and is not supported is refused by path, with the reason and the supported list', () => {
  it.each<[string, (a: Args) => void, RegExp]>([
    ['an LSTM layer', (a) => (a.model.layer[1] = { _name_: 'lstm', d_hidden: 16 }), /^config 'model\.layer\[1\]\._name_': layer 'lstm' is not supported; supported layers: s4, s4d, ffn, mha$/],
    ['attention with add_bias_kv', (a) => (a.model.layer[1] = { _name_: 'mha', n_heads: 2, add_bias_kv: true }), /^config 'model\.layer\[1\]\.add_bias_kv': add_bias_kv appends a learned key\/value position that every query attends to, outside the causal sequence; ssmc's attention does not compile it; train with add_bias_kv: false$/],
    ['attention with add_zero_attn', (a) => (a.model.layer[1] = { _name_: 'mha', n_heads: 2, add_zero_attn: true }), /^config 'model\.layer\[1\]\.add_zero_attn': add_zero_attn appends a zero key\/value position/],
    ['attention with kdim ≠ d_model', (a) => (a.model.layer[1] = { _name_: 'mha', n_heads: 2, kdim: 8 }), /^config 'model\.layer\[1\]\.kdim': kdim 8 differs from d_model 16, but mha\.py passes the layer's own input as key and value, so the official forward cannot run with it; use kdim: null$/],
    ['attention with vdim ≠ d_model', (a) => (a.model.layer[1] = { _name_: 'mha', n_heads: 2, vdim: 4 }), /^config 'model\.layer\[1\]\.vdim': vdim 4 differs from d_model 16/],
    ['non-causal attention', (a) => (a.model.layer[1] = { _name_: 'mha', n_heads: 2, causal: false }), /^config 'model\.layer\[1\]\.causal': non-causal attention .* is not supported; ssmc compiles causal attention/],
    ['heads that do not divide d_model', (a) => (a.model.layer[1] = { _name_: 'mha', n_heads: 3 }), /^config 'model\.layer\[1\]\.n_heads': must be a positive divisor of d_model \(16\)/],
    ['pooling with stride 2', (a) => (a.model.pool = { _name_: 'pool', stride: 2, expand: null }), /^config 'model\.pool': pooling that changes the sequence \(pool, stride 2\) is not supported; ssmc supports pool with stride 1/],
    ['an unknown residual', (a) => (a.model.residual = 'X'), /^config 'model\.residual': unknown residual 'X'; the official residuals are R, residual, F, N, none, ff, feedforward, D, decay, A, affine, H, highway$/],
    ['instance norm', (a) => (a.model.norm = 'instance'), /^config 'model\.norm': norm 'instance' normalises with statistics over the sequence .*; supported norms: layer, batch, none \(and null\)$/],
    ['batch norm without running statistics', (a) => (a.model.norm = { _name_: 'batch', track_running_stats: false }), /^config 'model\.norm\.track_running_stats': batch norm without running statistics/],
    ["S4Block's broken gate", (a) => (a.model.layer[0].gate = 4), /^config 'model\.layer\[0\]\.gate': S4Block's gate is broken in the official code at e757cef/],
    ['weight norm', (a) => (a.model.layer[0].weight_norm = true), /^config 'model\.layer\[0\]\.weight_norm': weight-normalised output_linear .* is not supported/],
    ['an EMA kernel', (a) => (a.model.layer[0].mode = 'ema'), /^config 'model\.layer\[0\]\.mode': kernel mode 'ema' is not supported; supported modes: nplr, dplr, s4 \(S4, DPLR\) and diag, s4d \(S4D\)$/],
    ['a GLU hidden activation', (a) => (a.model.layer[0].activation = 'glu'), /^config 'model\.layer\[0\]\.activation': activation 'glu' is not supported here/],
    ['an unknown SequenceModel key', (a) => (a.model.foo = 1), /^config 'model\.foo': is not an argument of SequenceModel .*; its arguments are d_model, n_layers/],
    ['an unknown s4 key', (a) => (a.model.layer[0].kernel_size = 3), /^config 'model\.layer\[0\]\.kernel_size': is not an argument of the s4 layer/],
    ['a position encoder', (a) => (a.encoder = 'position'), /^config 'encoder': encoder 'position' is not supported; supported encoders: linear, embedding, id$/],
    ['an nd decoder', (a) => (a.decoder = 'nd'), /^config 'decoder': decoder 'nd' is not supported; supported decoders: sequence, linear, id$/],
    ['a forecasting task', (a) => (a.task = { _name_: 'forecasting' }), /^config 'task': task 'forecasting' adds modules ssmc does not compile; supported tasks: base, lm/],
    ['a bidirectional transposed backbone', (a) => Object.assign(a.model, { bidirectional: true, transposed: true }), /^config 'model\.bidirectional': a bidirectional backbone with transposed: true cannot run in the official code/],
    ["pool decoder at every position (fails officially)", (a) => (a.l_output = null), /^s4-sequence: decoder\.0 mode 'pool' with an output at every position \(l_output none\) fails in the official code at e757cef/],
    ['a million layers', (a) => (a.model.n_layers = 1e6), /^config 'model\.n_layers': gives 2000000 residual blocks \(2 layers × n_layers 1000000 × n_repeat 1\), over ssmc's 1024/],
    ['an FFN wider than the residual', (a) => (a.model.layer[1].d_output = 32), /^config 'model\.layer\[1\]\.d_output': an FFN whose output width \(32\) differs from d_model \(16\) cannot sit in a residual block; use d_output: null$/],
  ])('%s', (_what, edit, message) => {
    expect(refusal(edit)).toMatch(message);
  });

  it('a dataset attribute nothing gives is asked for by its flag', () => {
    expect(refusal((a) => {
      a.dataset = { _name_: 'my_data' };
      delete a.l_output;
    })).toMatch(/^s4-sequence: l_output \(how many positions the sequence decoder returns .*\) is not known: dataset 'my_data' is not one whose attributes ssmc knows, and no checkpoint tensor gives it; pass --l-output N\|none \(or "l_output" in the model file's args\)$/);
  });
});

describe('keys that only matter for training are accepted and change nothing', () => {
  it('dropout, lr, wd, verbose, track_norms, initializer, deterministic, dt_min/dt_max, drop_kernel', async () => {
    const args = clone(base.file.args) as Args;
    Object.assign(args.model, { dropout: 0.3, tie_dropout: false, track_norms: false, dropinp: 0.2 });
    Object.assign(args.model.layer[0], { dropout: 0.5, lr: { dt: 0.1, A: 0.2, B: 0 }, wd: 0.3, verbose: false, initializer: 'xavier', deterministic: true, dt_min: 0.01, dt_max: 0.5, drop_kernel: 0.1, measure: null });
    Object.assign(args.model.layer[1], { dropout: 0.4, initializer: 'normal' });
    const io = wholeIo(WHOLE_CASES.find((c) => c.name === 'fixtures/s4_ffn_cycle')!);
    const run = async (a: Args) => (await runOnnx(modelToBytes(compileModel({ arch: 's4-sequence', args: a }, base.weights, { seqLen: null, opset: 17 }).model), new Map([['input', io.input]]))).get('output')!.data as Float32Array;
    expect(Array.from(await run(args))).toEqual(Array.from(await run(clone(base.file.args) as Args)));
  });
});

describe('the dataset attributes: flags, then the model file, then the checkpoint, then the dataset name', () => {
  it('from the checkpoint and the dataset, each with its source', () => {
    expect(base.notes[0]).toBe("dataset attributes: d_input 1 (encoder.0.weight [16, 1]), d_output 10 (decoder.0.output_transform.weight [10, 16]), l_output 0 (dataset 'mnist': one output per sequence)");
  });
  it('a flag wins', () => {
    const src = loadModelSource(undefined, `${WHOLE_FIXTURES}s4_ffn_cycle/last.ckpt`, { attrs: { l_output: 2 } });
    expect(src.notes[0]).toContain('l_output 2 (--l-output)');
    expect(src.file.args.l_output).toBe(2);
  });
  it('without a checkpoint, from the dataset name (cifar grayscale: one input channel)', () => {
    const args = clone(base.file.args) as Args;
    for (const k of ['d_input', 'd_output', 'l_output']) delete args[k];
    args.dataset = { _name_: 'cifar', grayscale: true };
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-seq-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ arch: 's4-sequence', args }));
    const src = loadModelSource(join(dir, 'model.json'), undefined);
    expect(src.notes[0]).toBe("dataset attributes: d_input 1 (dataset 'cifar'), d_output 10 (dataset 'cifar'), l_output 0 (dataset 'cifar': one output per sequence)");
  });
  it("task lm with the config's embedding is read in the layout its checkpoint has, and says so", () => {
    const src = loadModelSource(`${WHOLE_CASES.find((c) => c.name === 'golden/seqmodel_lm_pt')!.dir}config.yaml`, undefined);
    expect(src.notes.join('\n')).toContain("task 'lm' with encoder 'embedding' cannot run in the official pipeline");
  });
});

describe('config files ssmc cannot read as they are are reported with the fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-cfg-'));
  it('an experiment composed from other files (defaults)', () => {
    writeFileSync(join(dir, 'exp.yaml'), '# @package _global_\ndefaults:\n  - /pipeline: mnist\n  - /model: s4\nmodel:\n  n_layers: 2\n');
    expect(() => loadModelSource(join(dir, 'exp.yaml'), undefined)).toThrow(/composes other files through "defaults".*use the composed config Hydra saves with every run \(\.hydra\/config\.yaml/);
  });
  it('an interpolation that does not resolve', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'model:\n  _name_: model\n  d_model: ${nowhere.width}\n  layer: {_name_: ffn}\ndataset: {_name_: mnist}\nencoder: linear\ndecoder: {_name_: sequence, mode: pool}\n');
    expect(() => loadModelSource(join(dir, 'bad.yaml'), undefined)).toThrow(/config 'model\.d_model'/);
  });
  it("example.py's checkpoint alone: prenorm is not in its tensors", () => {
    expect(() => loadModelSource(undefined, `${WHOLE_FIXTURES}example_prenorm/ckpt.pth`)).toThrow(
      /is an example\.py checkpoint .* whether the LayerNorms come before the S4D layers \(prenorm\) cannot be read from its tensors; write a model file such as \{"arch": "s4-example", "args": \{"prenorm": false\}, "weights": ".*ckpt\.pth"\} \(the other arguments, d_input 3, d_model 16, d_output 10, n_layers 3, d_state 64, come from the tensors\)/,
    );
  });
});
