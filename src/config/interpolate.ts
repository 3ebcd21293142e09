import { UserError } from '../errors.js';
import { evaluateArithmetic } from './arithmetic.js';
import { Opaque, isConfigObject, pathString, setConfigKey, type ConfigObject, type ConfigValue } from './types.js';

export interface ResolveOptions {
  /**
   * The top-level keys (or dotted paths) to resolve; everything else is copied as it is, so an
   * interpolation in a part of the config that the model does not use (a data path from
   * `${oc.env:DATA_DIR}`, a run directory from `${now:…}`) is not an error. Default: all.
   */
  only?: readonly string[];
  /** Environment variables for `${oc.env:NAME}`; without it such an interpolation uses its default or is reported. */
  env?: Readonly<Record<string, string | undefined>>;
}

type Path = (string | number)[];
const MAX_DEPTH = 1000;

/**
 * Resolve omegaconf interpolations as OmegaConf does for the configs state-spaces/s4 writes:
 * `${a.b}` (absolute), `${.x}` / `${..x}` / `${...x}` (relative to the node's container and its
 * parents), `${a[0]}` and `${a.0}` (list items), string interpolation (`len_${x}`), nested
 * interpolations, and the resolvers `oc.select`, `oc.env` and `eval` (arithmetic only; what the
 * official configs compute with it). Anything else is reported by path with the fix.
 */
export function resolveConfig(root: ConfigObject, source: string, opts: ResolveOptions = {}): ConfigObject {
  const r = new Resolver(root, source, opts.env ?? {});
  if (!opts.only) return r.node([], root, 0) as ConfigObject;
  const out = structuredCopy(root);
  for (const dotted of opts.only) {
    const path = dotted.split('.');
    const raw = rawAt(root, path);
    if (raw === undefined) continue;
    let parent: ConfigValue = out;
    for (const k of path.slice(0, -1)) parent = (parent as ConfigObject)[k]!;
    setConfigKey(parent as ConfigObject, path[path.length - 1]!, r.node(path, raw, 0));
  }
  return out;
}

function rawAt(root: ConfigValue, path: readonly string[]): ConfigValue | undefined {
  let cur: ConfigValue | undefined = root;
  for (const k of path) cur = isConfigObject(cur) && Object.hasOwn(cur, k) ? cur[k] : undefined;
  return cur;
}

function structuredCopy(v: ConfigValue): ConfigObject {
  const copy = (x: ConfigValue): ConfigValue => {
    if (Array.isArray(x)) return x.map(copy);
    if (isConfigObject(x)) {
      const o: ConfigObject = {};
      for (const [k, y] of Object.entries(x)) setConfigKey(o, k, copy(y));
      return o;
    }
    return x;
  };
  return copy(v) as ConfigObject;
}

/** One `${…}` found in a string: the text inside the braces and where it was. */
interface Piece {
  text: string;
  interpolation: boolean;
}

class Resolver {
  private readonly done = new Map<string, ConfigValue>();
  private readonly active = new Set<string>();

  constructor(private readonly root: ConfigObject, private readonly source: string, private readonly env: Readonly<Record<string, string | undefined>>) {}

  private fail(path: Path, rule: string, fix: string): never {
    throw new UserError(`${this.source}: config '${pathString(path)}': ${rule}; ${fix}`);
  }

  /** The resolved value of the node at `path`, whose raw value is `raw`. */
  node(path: Path, raw: ConfigValue, depth: number): ConfigValue {
    if (depth > MAX_DEPTH) this.fail(path, `nests or refers more than ${MAX_DEPTH} levels deep`, 'simplify the config');
    const key = JSON.stringify(path);
    if (this.done.has(key)) return this.done.get(key)!;
    if (this.active.has(key)) this.fail(path, 'its interpolation refers back to itself', 'break the cycle of interpolations');
    this.active.add(key);
    let out: ConfigValue;
    if (typeof raw === 'string' && raw.includes('${')) out = this.string(raw, path, depth);
    else if (Array.isArray(raw)) out = raw.map((x, i) => this.node([...path, i], x, depth + 1));
    else if (isConfigObject(raw)) {
      const o: ConfigObject = {};
      for (const [k, x] of Object.entries(raw)) setConfigKey(o, k, this.node([...path, k], x, depth + 1));
      out = o;
    } else out = raw;
    this.active.delete(key);
    this.done.set(key, out);
    return out;
  }

  /** A string with interpolations: a lone `${…}` keeps its value's type, anything else is text. */
  private string(s: string, path: Path, depth: number): ConfigValue {
    const pieces = this.split(s, path);
    if (pieces.length === 1 && pieces[0]!.interpolation) return this.interpolation(pieces[0]!.text, path, depth);
    return pieces.map((p) => (p.interpolation ? this.text(this.interpolation(p.text, path, depth), path) : p.text)).join('');
  }

  /** Text and top-level `${…}` pieces; `\${` is a literal `${`. */
  private split(s: string, path: Path): Piece[] {
    const pieces: Piece[] = [];
    let text = '';
    let i = 0;
    while (i < s.length) {
      if (s.startsWith('\\${', i)) {
        text += '${';
        i += 3;
      } else if (s.startsWith('${', i)) {
        const end = this.closing(s, i + 2, path);
        if (text) pieces.push({ text, interpolation: false });
        text = '';
        pieces.push({ text: s.slice(i + 2, end), interpolation: true });
        i = end + 1;
      } else text += s[i++];
    }
    if (text || pieces.length === 0) pieces.push({ text, interpolation: false });
    return pieces;
  }

  /** The index of the `}` that closes a `${` whose body starts at `from` (quotes and nested braces skipped). */
  private closing(s: string, from: number, path: Path): number {
    let depth = 1;
    let quote: string | null = null;
    for (let i = from; i < s.length; i++) {
      const c = s[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) return i;
    }
    return this.fail(path, `the interpolation in ${JSON.stringify(s)} has no closing '}'`, 'close it');
  }

  private interpolation(body: string, path: Path, depth: number): ConfigValue {
    const call = /^\s*([A-Za-z_][\w.]*)\s*:([\s\S]*)$/.exec(body);
    if (!call) {
      const target = body.includes('${') ? this.text(this.string(body, path, depth + 1), path) : body.trim();
      const found = this.lookup(target, path, depth);
      if (found === undefined) {
        this.fail(path, `\${${body}} refers to '${target}', which is not in the config`, `set '${target}' in the config or fix the reference`);
      }
      if (found === '???') this.fail(path, `\${${body}} refers to '${target}', which is missing ('???')`, `set '${target}' in the config`);
      return found!;
    }
    const [, name, rest] = call;
    switch (name) {
      case 'oc.select': {
        const [key, dflt] = this.args(rest!, path);
        const target = this.text(this.arg(key ?? '', path, depth), path);
        const found = this.lookup(target, path, depth);
        return found === undefined || found === '???' ? (dflt === undefined ? null : this.arg(dflt, path, depth)) : found;
      }
      case 'oc.env': {
        const [key, dflt] = this.args(rest!, path);
        const variable = this.text(this.arg(key ?? '', path, depth), path);
        const value = this.env[variable];
        if (value !== undefined) return value;
        if (dflt !== undefined) return this.arg(dflt, path, depth);
        return this.fail(path, `\${oc.env:${variable}} reads the environment variable ${variable}, which is not set`, `set ${variable} or write the value into the config`);
      }
      case 'eval': {
        let expr = rest!.trim();
        if (/^(['"])[\s\S]*\1$/.test(expr)) expr = expr.slice(1, -1);
        const text = this.text(this.string(expr, path, depth + 1), path);
        return evaluateArithmetic(text, (why) => this.fail(path, `\${eval:${rest}} cannot be evaluated: ${why}`, 'ssmc evaluates arithmetic (+ - * / // % **, int, float, min, max, abs, round) only: write the value into the config'));
      }
      default:
        return this.fail(path, `\${${body}} uses the resolver '${name}', which ssmc does not evaluate (it knows oc.select, oc.env and arithmetic eval)`, 'write the value into the config');
    }
  }

  /** A resolver's arguments, split at top-level commas. */
  private args(text: string, path: Path): string[] {
    const out: string[] = [];
    let depth = 0, quote: string | null = null, start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = null;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '{' || c === '[' || c === '(') depth++;
      else if (c === '}' || c === ']' || c === ')') depth--;
      else if (c === ',' && depth === 0) {
        out.push(text.slice(start, i));
        start = i + 1;
      }
    }
    if (quote || depth !== 0) this.fail(path, `the resolver arguments ${JSON.stringify(text)} are not balanced`, 'fix the quotes and brackets');
    out.push(text.slice(start));
    return out;
  }

  /** One resolver argument: a quoted string, an interpolation, or a primitive as omegaconf's grammar reads it. */
  private arg(raw: string, path: Path, depth: number): ConfigValue {
    const t = raw.trim();
    const quoted = /^(['"])([\s\S]*)\1$/.exec(t);
    if (quoted) return this.text(this.string(quoted[2]!, path, depth + 1), path);
    if (t.includes('${')) return this.string(t, path, depth + 1);
    if (/^null$/i.test(t)) return null;
    if (/^true$/i.test(t)) return true;
    if (/^false$/i.test(t)) return false;
    if (/^[-+]?(\d[\d_]*)$/.test(t)) return Number(t.replace(/_/g, ''));
    if (/^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || /^[-+]?(inf|nan)$/i.test(t)) return Number(t.replace(/_/g, '').replace(/inf/i, 'Infinity'));
    return t;
  }

  /** The resolved value at an interpolation's target, or undefined when there is none. */
  private lookup(target: string, from: Path, depth: number): ConfigValue | undefined {
    const dots = /^\.*/.exec(target)![0].length;
    const rest = target.slice(dots);
    const segments: string[] = [];
    for (const m of rest.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) segments.push(m[1] ?? m[2]!);
    let base: Path = [];
    if (dots > 0) {
      const up = from.length - dots;
      if (up < 0) this.fail(from, `\${${target}} goes ${dots} levels up from a node ${from.length - 1} levels deep`, 'use fewer dots or an absolute path');
      base = from.slice(0, up);
    }
    let cur: ConfigValue | undefined = this.root;
    const path: Path = [];
    for (const p of base) cur = step(cur, p);
    path.push(...base);
    // Walk the raw tree; a node that is itself an interpolation is resolved before walking into it.
    let resolved = false;
    for (const seg of segments) {
      if (cur === undefined) return undefined;
      if (!resolved && typeof cur === 'string' && cur.includes('${')) {
        cur = this.node(normalise(path, this.root), cur, depth + 1);
        resolved = true;
      }
      cur = step(cur, seg);
      path.push(seg);
    }
    if (cur === undefined) return undefined;
    return resolved ? cur : this.node(normalise(path, this.root), cur, depth + 1);
  }

  /** How a value is written into a string, as Python's str() writes it. */
  private text(v: ConfigValue, path: Path): string {
    if (v === null) return 'None';
    if (v === true) return 'True';
    if (v === false) return 'False';
    if (typeof v === 'number') return pythonFloat(v);
    if (typeof v === 'string') return v;
    if (v instanceof Opaque) return this.fail(path, `interpolates ${v.what} into a string`, 'write the value into the config');
    return this.fail(path, 'interpolates a whole list or mapping into a string', 'refer to one value');
  }
}

/** Python's repr of a number: integers as integers, exponent form below 1e-4 and from 1e16, two exponent digits at least. */
function pythonFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp >= -4 && exp < 16) return String(v);
  return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
}

function step(cur: ConfigValue | undefined, seg: string | number): ConfigValue | undefined {
  if (Array.isArray(cur)) {
    const i = typeof seg === 'number' ? seg : /^\d+$/.test(seg) ? Number(seg) : -1;
    return i >= 0 && i < cur.length ? cur[i] : undefined;
  }
  if (isConfigObject(cur)) return Object.hasOwn(cur, String(seg)) ? cur[String(seg)] : undefined;
  return undefined;
}

/** The same path with list indices as numbers, so that one node has one memo key however it was reached. */
function normalise(path: Path, root: ConfigValue): Path {
  const out: Path = [];
  let cur: ConfigValue | undefined = root;
  for (const p of path) {
    const seg = Array.isArray(cur) ? Number(p) : String(p);
    out.push(seg);
    cur = step(cur, seg);
  }
  return out;
}
