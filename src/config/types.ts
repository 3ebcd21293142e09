import { Opaque } from '../../export/checkpoint-value.js';

/**
 * A configuration as plain JSON-like data, whatever it was read from (a Hydra YAML file, an
 * experiment YAML, a Lightning checkpoint's pickled omegaconf `hyper_parameters`). Values a
 * pickle held that are not plain data (a class, a tensor) stay {@link Opaque} and are named if
 * something reads them.
 */
export type ConfigValue = null | boolean | number | string | ConfigValue[] | ConfigObject | Opaque;

export interface ConfigObject {
  [key: string]: ConfigValue;
}

export { Opaque };

export function isConfigObject(v: ConfigValue | undefined): v is ConfigObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Opaque);
}

/** Set a key without letting `__proto__` reach the prototype. */
export function setConfigKey(o: ConfigObject, key: string, value: ConfigValue): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `model.layer[0].d_state` style path for messages. */
export function pathString(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s || '<root>';
}
