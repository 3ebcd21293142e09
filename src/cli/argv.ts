import { UserError } from '../errors.js';

export interface FlagSpec {
  /** Takes a value (`--opset 17`) or is a switch (`--json`). */
  value: boolean;
  repeat?: boolean;
  alias?: string;
}

export interface Parsed {
  positionals: string[];
  flags: Map<string, string[]>;
}

/** A small, strict argv parser: unknown flags and missing values are user errors. */
export function parseArgv(command: string, argv: string[], specs: Record<string, FlagSpec>): Parsed {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const byAlias = new Map(Object.entries(specs).flatMap(([k, s]) => (s.alias ? [[s.alias, k] as const] : [])));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    let name = a.replace(/^--?/, '');
    let inline: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = byAlias.get(name) ?? name;
    const spec = specs[name];
    if (!spec) {
      throw new UserError(`ssmc ${command}: unknown option '${a}'; options: ${Object.keys(specs).map((k) => `--${k}`).join(', ')}`);
    }
    let val = 'true';
    if (spec.value) {
      val = inline ?? argv[++i] ?? '';
      if (val === '' || (inline === undefined && val.startsWith('--'))) throw new UserError(`ssmc ${command}: option --${name} needs a value`);
    }
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UserError(`ssmc ${command}: option --${name} is given twice`);
    list.push(val);
    flags.set(name, list);
  }
  return { positionals, flags };
}

export function flag(p: Parsed, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

/** An integer flag, with its allowed range (inclusive) when it has one. */
export function intFlag(p: Parsed, command: string, name: string, dflt: number, range?: { min: number; max: number; why?: string }): number {
  const v = flag(p, name);
  if (v === undefined) return dflt;
  const n = /^[+-]?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new UserError(`ssmc ${command}: --${name} must be an integer, got '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`);
  if (range && (n < range.min || n > range.max)) {
    throw new UserError(`ssmc ${command}: --${name} must be from ${range.min} to ${range.max}${range.why ? ` (${range.why})` : ''}, got ${n}`);
  }
  return n;
}
