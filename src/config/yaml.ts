import { parseDocument, type ScalarTag, type Tags } from 'yaml';
import { UserError } from '../errors.js';
import { isConfigObject, setConfigKey, type ConfigObject, type ConfigValue } from './types.js';

/**
 * A YAML config (Hydra's `.hydra/config.yaml`, an experiment file) as plain data, read as
 * omegaconf reads it: YAML 1.1 scalars (`yes`/`no` booleans, `1e-3` floats), unique keys,
 * no custom tags, aliases bounded. Interpolations (`${…}`) stay strings for {@link resolveConfig}.
 */
export function parseYamlConfig(text: string, source: string): ConfigObject {
  const doc = parseDocument(text, {
    version: '1.1',
    uniqueKeys: true,
    logLevel: 'silent',
    customTags: pyyamlScalars,
  });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new UserError(`${source}: not a YAML config ssmc can read: ${problem.message.split('\n')[0]}; fix the YAML (ssmc reads plain YAML as omegaconf does, without custom tags)`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new UserError(`${source}: the YAML cannot be read (${(e as Error).message.split('\n')[0]}); fix the YAML`);
  }
  const config = plain(value, source, 0);
  if (!isConfigObject(config)) throw new UserError(`${source}: a config file must be a YAML mapping (key: value lines) at its top level`);
  return config;
}

/**
 * YAML 1.1 as PyYAML (and so omegaconf) reads it, where the yaml package's 1.1 schema differs:
 * `y`/`n` are strings, not booleans; an exponent needs digits before it (`e2` is a string, `1e-3`
 * a float, as omegaconf's loader adds); a date stays the text it was written as.
 */
function pyyamlScalars(tags: Tags): Tags {
  const dropped = (t: Tags[number]) => typeof t === 'object' && 'tag' in t &&
    (t.tag === 'tag:yaml.org,2002:timestamp' || t.tag === 'tag:yaml.org,2002:bool' || (t.tag === 'tag:yaml.org,2002:float' && 'format' in t && t.format === 'EXP'));
  const scalar = (tag: string, test: RegExp, resolve: (s: string) => unknown): ScalarTag => ({ tag, test, resolve, default: true } as ScalarTag);
  return [
    ...tags.filter((t) => !dropped(t)),
    scalar('tag:yaml.org,2002:bool', /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/, () => true),
    scalar('tag:yaml.org,2002:bool', /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/, () => false),
    scalar('tag:yaml.org,2002:float', /^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$|^\.[0-9_]+[eE][-+]?[0-9]+$/, (s) => Number(s.replace(/_/g, ''))),
  ];
}

const MAX_DEPTH = 1000;

function plain(v: unknown, source: string, depth: number): ConfigValue {
  if (depth > MAX_DEPTH) throw new UserError(`${source}: the YAML nests more than ${MAX_DEPTH} levels deep; it is not a model config`);
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map((x) => plain(x, source, depth + 1));
  if (v instanceof Map) {
    const o: ConfigObject = {};
    for (const [k, x] of v) setConfigKey(o, String(k), plain(x, source, depth + 1));
    return o;
  }
  if (v instanceof Set) return [...v].map((x) => plain(x, source, depth + 1));
  if (typeof v === 'object') {
    const o: ConfigObject = {};
    for (const [k, x] of Object.entries(v)) setConfigKey(o, k, plain(x, source, depth + 1));
    return o;
  }
  throw new UserError(`${source}: the YAML holds a ${typeof v}, which a config cannot; fix the YAML`);
}
