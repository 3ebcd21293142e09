import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from 'ssmc';
import { Opaque, configFromCheckpoint, parseYamlConfig, resolveConfig, type ConfigObject } from '../../src/config/index.js';
import { GOLDEN_DIR } from '../helpers/golden.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/torch/', import.meta.url));
const expected = JSON.parse(readFileSync(`${FIXTURES}golden-whole.expected.json`, 'utf8')) as Record<string, { config?: unknown; hyper_parameters?: unknown; hyper_parameters_resolved?: unknown }>;
const ckptConfig = (path: string) => configFromCheckpoint(readCheckpoint(new Uint8Array(readFileSync(path)), path))!;
const yaml = (text: string) => parseYamlConfig(text, 'test.yaml');
const resolve = (text: string, opts = {}) => resolveConfig(yaml(text), 'test.yaml', opts);

describe('configs from a Hydra config.yaml and from a Lightning checkpoint are the same plain data', () => {
  for (const folder of ['seqmodel_lm_pt', 'seqmodel_hybrid_mha']) {
    it(folder, () => {
      const fromYaml = resolveConfig(parseYamlConfig(readFileSync(`${GOLDEN_DIR}whole/${folder}/config.yaml`, 'utf8'), 'config.yaml'), 'config.yaml');
      expect(fromYaml).toEqual(expected[`${folder}/config.yaml`]!.config); // OmegaConf.load(...) resolved, by omegaconf itself
      const fromCkpt = ckptConfig(`${GOLDEN_DIR}whole/${folder}/last.ckpt`);
      expect(fromCkpt).toEqual(expected[`${folder}/last.ckpt`]!.hyper_parameters);
      expect(resolveConfig(fromCkpt, 'last.ckpt')).toEqual(fromYaml);
    });
  }
  it('seqmodel_mnist (hyper_parameters only)', () => {
    const c = ckptConfig(`${GOLDEN_DIR}whole/seqmodel_mnist/last.ckpt`);
    expect(resolveConfig(c, 'last.ckpt')).toEqual(expected['seqmodel_mnist/last.ckpt']!.hyper_parameters_resolved);
  });
  it('interpolations in a pickled DictConfig resolve as OmegaConf resolves them', () => {
    const want = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8'))['dplr-lightning.ckpt'];
    const c = ckptConfig(`${FIXTURES}valid/dplr-lightning.ckpt`);
    expect(c).toEqual(want.hyper_parameters);
    expect(resolveConfig(c, 'dplr-lightning.ckpt')).toEqual(want.hyper_parameters_resolved);
  });
  it('a safetensors file or a checkpoint without hyper_parameters has no config', () => {
    expect(configFromCheckpoint(readCheckpoint(new Uint8Array(readFileSync(`${FIXTURES}valid/dplr-f32.pt`)), 'x'))).toBeNull();
    expect(configFromCheckpoint({ root: null })).toBeNull();
  });
});

describe('interpolations', () => {
  it('absolute, relative (. .. ...), list items and whole subtrees', () => {
    const c = resolve(`
model:
  d_model: 64
  dropout: 0.1
  layer:
    - d_model: \${...d_model}
      dropout: \${...dropout}
      sibling: \${.d_model}
      n: \${model.layer[1].n}
    - n: 3
      first: \${model.layer.0.d_model}
  copy: \${model.layer[1]}
  top: \${..model.d_model}
`);
    expect(c.model).toEqual({
      d_model: 64, dropout: 0.1,
      layer: [{ d_model: 64, dropout: 0.1, sibling: 64, n: 3 }, { n: 3, first: 64 }],
      copy: { n: 3, first: 64 }, top: 64,
    });
  });
  it('string interpolation writes values as Python does, and \\${ stays literal', () => {
    const c = resolve('a: 0.00001\nbig: 1.5e20\nsb: "v${big}"\nb: true\nc: null\nd: 12\ns: "x_${a}_${b}_${c}_${d}"\ne: "\\\\${a}"\nn: ${x.${k}}\nk: y\nx: {y: 5}');
    expect(c.s).toBe('x_1e-05_True_None_12');
    expect(c.sb).toBe("v1.5e+20");
    expect(c.e).toBe('${a}');
    expect(c.n).toBe(5);
  });
  it('oc.select, oc.env and arithmetic eval', () => {
    const c = resolve([
      'dataset: {__l_max: 784}',
      'a: ${oc.select:dataset.__l_max,null}', 'b: ${oc.select:dataset.nope,null}', 'b2: ${oc.select:dataset.nope,7}', 'b3: ${oc.select:dataset.nope}',
      'e: ${oc.env:SSMC_TEST_VAR,fallback}', 'e2: ${oc.env:SSMC_SET}',
      'x: ${eval:${dataset.__l_max}//3 + 2**3 - 1}', 'y: ${eval:"${dataset.__l_max} / 8"}', 'z: ${eval:int(7.9) + max(1, 4) + round(2.5) + round(3.5) + (-7) % 3}',
    ].join('\n'), { env: { SSMC_SET: 'here' } });
    expect(c).toMatchObject({ a: 784, b: null, b2: 7, b3: null, e: 'fallback', e2: 'here', x: 268, y: 98, z: 7 + 4 + 2 + 4 + 2 });
  });
  it('resolves only the parts asked for, so unrelated interpolations are not errors', () => {
    const c = resolve('model:\n  n: ${dataset.n}\ndataset: {n: 4, path: "${oc.env:DATA_DIR}/x"}\nhydra: {dir: "${now:%Y}"}', { only: ['model'] });
    expect(c).toEqual({ model: { n: 4 }, dataset: { n: 4, path: '${oc.env:DATA_DIR}/x' }, hydra: { dir: '${now:%Y}' } });
  });
  const bad: [string, RegExp][] = [
    ['model:\n  d: ${model.d_modell}', /config 'model\.d': \$\{model\.d_modell\} refers to 'model\.d_modell', which is not in the config; set 'model\.d_modell'/],
    ['a: ${b}\nb: ${a}', /config '(a|b)': its interpolation refers back to itself/],
    ['a: ${now:%Y}', /config 'a': \$\{now:%Y\} uses the resolver 'now', which ssmc does not evaluate/],
    ['a: ${b}\nb: ???', /refers to 'b', which is missing \('\?\?\?'\)/],
    ['a: ${oc.env:SSMC_NOT_SET_ANYWHERE}', /environment variable SSMC_NOT_SET_ANYWHERE, which is not set/],
    ['a: ${eval:__import__(1)}', /cannot be evaluated: '__import__' is not a number/],
    ['a: ${eval:__import__("os")}', /cannot be evaluated: cannot read/],
    ['a: ${eval:1/0}', /division by zero/],
    ['a: x${b}\nb: [1]', /interpolates a whole list or mapping into a string/],
    ['a:\n  b: ${....x}', /goes 4 levels up from a node 1 levels deep/],
    ['a: ${b', /has no closing '\}'/],
  ];
  for (const [text, message] of bad) {
    it(`reports ${JSON.stringify(text)} by path with the fix`, () => {
      expect(() => resolve(text)).toThrow(message);
    });
  }
  it('names placeholders from a pickle when something interpolates them', () => {
    const c: ConfigObject = { a: new Opaque('an object of pathlib.PosixPath'), s: 'x${a}' };
    expect(() => resolveConfig(c, 'ckpt')).toThrow(/interpolates an object of pathlib\.PosixPath into a string/);
  });
});

describe('YAML configs', () => {
  it('reads scalars as omegaconf (YAML 1.1) does', () => {
    expect(yaml('a: yes\nb: off\nc: 1e-3\nd: 0.1\ne: ~\nf: 2001-12-14\ng: "yes"\nh: 1_000\ny: n\ne2: 2.5E+3\nk: 0x10')).toEqual({
      a: true, b: false, c: 0.001, d: 0.1, e: null, f: '2001-12-14', g: 'yes', h: 1000, y: 'n', e2: 2500, k: 16,
    });
  });
  const bad: [string, RegExp][] = [
    ['a: 1\na: 2', /Map keys must be unique/],
    ['a: !!python/object:os.system x', /Unresolved tag|tag/],
    ['- 1\n- 2', /must be a YAML mapping/],
    [`a: ${'['.repeat(5000)}${']'.repeat(5000)}`, /YAML|deep/],
    ['a: [1, 2', /YAML/],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text.slice(0, 30))} with one message`, () => {
      expect(() => yaml(text)).toThrow(message);
    });
  }
  it('keeps a __proto__ key as data', () => {
    const c = yaml('__proto__: {polluted: 1}');
    expect(Object.keys(c)).toEqual(['__proto__']);
    expect(({} as { polluted?: number }).polluted).toBeUndefined();
  });
});
