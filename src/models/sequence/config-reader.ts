import { isConfigObject, pathString, type ConfigObject, type ConfigValue } from '../../config/types.js';
import { UserError } from '../../errors.js';

type Path = (string | number)[];

/**
 * Typed reads of one node of a model config, each failure a UserError naming the key's path
 * (`model.layer[1].mode`), the rule and the fix.
 */
export class ConfigNode {
  constructor(
    readonly value: ConfigValue | undefined,
    readonly path: Path,
  ) {}

  fail(rule: string, fix?: string): never {
    throw new UserError(`config '${pathString(this.path)}': ${rule}${fix ? `; ${fix}` : ''}`);
  }

  child(key: string | number): ConfigNode {
    if (typeof key === 'number') return new ConfigNode(Array.isArray(this.value) ? this.value[key] : undefined, [...this.path, key]);
    const v = isConfigObject(this.value) && Object.hasOwn(this.value, key) ? this.value[key] : undefined;
    return new ConfigNode(v, [...this.path, key]);
  }

  get isMissing(): boolean {
    return this.value === undefined;
  }

  get isNull(): boolean {
    return this.value === null || this.value === undefined;
  }

  object(): ConfigObject {
    if (!isConfigObject(this.value)) this.fail(`must be a mapping of keys, got ${describe(this.value)}`);
    return this.value;
  }

  keys(): string[] {
    return isConfigObject(this.value) ? Object.keys(this.value) : [];
  }

  int(dflt?: number): number {
    const v = this.value ?? dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`must be an integer, got ${describe(this.value)}`);
    return v;
  }

  num(dflt?: number): number {
    const v = this.value ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(`must be a number, got ${describe(this.value)}`);
    return v;
  }

  bool(dflt?: boolean): boolean {
    const v = this.value ?? dflt;
    if (typeof v !== 'boolean') this.fail(`must be true or false, got ${describe(this.value)}`);
    return v;
  }

  /** A string, or null when the key is null/missing and `nullable`. */
  str(dflt?: string): string {
    const v = this.value ?? dflt;
    if (typeof v !== 'string') this.fail(`must be a string, got ${describe(this.value)}`);
    return v;
  }

  optStr(): string | null {
    if (this.isNull) return null;
    return this.str();
  }

  optInt(): number | null {
    if (this.isNull) return null;
    return this.int();
  }

  optNum(): number | null {
    if (this.isNull) return null;
    return this.num();
  }

  /** A module reference as the official `utils.instantiate` takes it: a name, or a mapping with `_name_` and keyword arguments. */
  named(): { name: string; kwargs: ConfigNode } {
    if (typeof this.value === 'string') return { name: this.value, kwargs: new ConfigNode({}, this.path) };
    if (isConfigObject(this.value)) return { name: this.child('_name_').str(), kwargs: this };
    this.fail(`must be a name or a mapping with "_name_", got ${describe(this.value)}`);
  }

  /** Refuse keys outside `known` (the official constructor would reject them). */
  onlyKeys(known: readonly string[], what: string): void {
    for (const k of this.keys()) {
      if (!known.includes(k)) this.child(k).fail(`is not an argument of ${what}`, `its arguments are ${known.filter((x) => x !== '_name_').join(', ')}`);
    }
  }

  /** A list of nodes: a list value gives its items, null nothing, anything else one item (the official `to_list`). */
  items(): ConfigNode[] {
    if (this.isNull) return [];
    if (Array.isArray(this.value)) return this.value.map((_, i) => this.child(i));
    return [this];
  }
}

export function describe(v: ConfigValue | undefined): string {
  if (v === undefined) return 'nothing (the key is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return isConfigObject(v) ? 'a mapping' : 'an unreadable object';
  return JSON.stringify(v);
}
