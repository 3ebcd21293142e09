import { CheckpointFormatError } from './checkpoint-error.js';

/**
 * A restricted Python unpickler: it reads every opcode of pickle protocols 2 to 5 (what
 * torch.save writes) into inert data and never runs code. A global (`module.name`) is a name, not
 * a function: calling one yields a {@link PyObject} that records the call, unless a hook rebuilds
 * it from data (a tensor from its storage) or it is a plain container (dict, OrderedDict, set…).
 * Globals that exist to run code (os.system, eval, subprocess…) are refused outright: no genuine
 * checkpoint names them.
 */

export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** dict, OrderedDict, defaultdict and dict subclasses; keys are compared as Python would for str/int/float/bool/None. */
export class PyDict {
  readonly entries = new Map<unknown, [PyValue, PyValue]>();
  /** Instance attributes a BUILD gave the dict (a state_dict's `_metadata`). */
  attributes: PyValue | undefined;
  constructor(readonly type: string) {}
  set(key: PyValue, value: PyValue): void {
    this.entries.set(dictKey(key), [key, value]);
  }
}

export class PySet {
  readonly items: PyValue[] = [];
  constructor(readonly frozen: boolean) {}
}

/**
 * The inert result of calling (or instantiating) a global that ssmc does not rebuild: what was
 * called, with what, and the state and items the pickle then gave it. Nothing is executed.
 */
export class PyObject {
  state: PyValue | undefined;
  readonly listItems: PyValue[] = [];
  readonly dictItems: [PyValue, PyValue][] = [];
  constructor(readonly callee: PyValue, readonly args: readonly PyValue[]) {}
  /** `module.name` of the class or function, or a description when the callee is not a global. */
  get what(): string {
    return this.callee instanceof PyGlobal ? this.callee.qualified : `a call of ${describePy(this.callee)}`;
  }
}

/** Objects made by the hooks (storages, tensors). */
export abstract class HostObject {
  abstract describe(): string;
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyGlobal | PyObject | HostObject;

export interface PickleHooks {
  /** A BINPERSID reference (torch.save's storages). */
  persistentLoad(pid: PyValue, at: number): PyValue;
  /**
   * Rebuild the result of calling `fn(...args)` from data, or return undefined to keep an inert
   * {@link PyObject}. Hooks must not run anything either.
   */
  call?(fn: PyGlobal, args: readonly PyValue[], at: number): PyValue | undefined;
}

/** Open MARKs allowed at once; no genuine checkpoint comes near it. */
export const MAX_PICKLE_NESTING = 1000;

const DICT_TYPES = new Set([
  'builtins.dict', 'collections.OrderedDict', 'collections.defaultdict', 'collections.Counter',
  // Lightning's hyper_parameters when given as keyword arguments.
  'pytorch_lightning.utilities.parsing.AttributeDict', 'lightning.pytorch.utilities.parsing.AttributeDict',
  'lightning_fabric.utilities.data.AttributeDict', 'lightning.fabric.utilities.data.AttributeDict',
]);

/** Python 2 names that protocol-2 pickles use for Python 3 modules. */
const MODULE_ALIASES: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg', exceptions: 'builtins' };

/** Globals whose only purpose in a pickle is to run code or reach something that does. */
const CODE_MODULES = new Set([
  'os', 'posix', 'nt', 'subprocess', 'sys', 'shutil', 'socket', 'pty', 'runpy', 'importlib', 'pickle', '_pickle', 'marshal',
  'ctypes', 'code', 'codeop', 'webbrowser', 'multiprocessing', 'pdb', 'timeit', 'commands', 'popen2', 'platform', 'signal',
  'urllib', 'http', 'requests', 'tempfile', 'io', '_io', 'asyncio', 'threading', '_thread', 'inspect', 'setuptools', 'distutils', 'pip',
]);
const CODE_MODULE_PREFIXES = ['torch.hub', 'torch.jit', 'torch.package', 'torch.utils.cpp_extension', 'numpy.f2py', 'numpy.distutils'];
const CODE_BUILTINS = new Set([
  'eval', 'exec', 'compile', '__import__', 'getattr', 'setattr', 'delattr', 'open', 'input', 'breakpoint', 'globals', 'locals',
  'vars', 'exit', 'quit', 'apply', 'execfile', 'reload', '__build_class__',
]);
const CODE_GLOBALS = new Set([
  'operator.attrgetter', 'operator.methodcaller', 'operator.itemgetter', 'functools.partial', 'functools.reduce', 'torch.load', 'numpy.load',
  'numpy.testing._private.utils.runstring', 'types.FunctionType', 'types.CodeType', 'types.LambdaType', 'types.MethodType', 'types.ModuleType',
]);

function isCodeGlobal(module: string, name: string): boolean {
  const top = module.split('.')[0]!;
  return CODE_MODULES.has(top) || (module === 'builtins' && CODE_BUILTINS.has(name)) || CODE_GLOBALS.has(`${module}.${name}`) ||
    CODE_MODULE_PREFIXES.some((p) => module === p || module.startsWith(`${p}.`));
}

export function unpickle(data: Uint8Array, source: string, hooks: PickleHooks): PyValue {
  return new Unpickler(data, source, hooks).load();
}

class Unpickler {
  private pos = 0;
  private stack: PyValue[] = [];
  private marks: number[] = [];
  private readonly memo = new Map<number, PyValue>();
  private readonly view: DataView;
  private opAt = 0;

  constructor(private readonly data: Uint8Array, private readonly source: string, private readonly hooks: PickleHooks) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private fail(rule: string, fix = 'the checkpoint is damaged or was not written by torch.save — re-save it'): never {
    throw new CheckpointFormatError(`${this.source}: pickle opcode at byte ${this.opAt}: ${rule}; ${fix}`);
  }

  private need(n: number): number {
    if (n < 0 || this.pos + n > this.data.length) this.fail(`needs ${n} more bytes but the pickle ends at byte ${this.data.length}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  private u8(): number { return this.data[this.need(1)]!; }
  private u16(): number { return this.view.getUint16(this.need(2), true); }
  private i32(): number { return this.view.getInt32(this.need(4), true); }
  private u32(): number { return this.view.getUint32(this.need(4), true); }
  private u64(): number {
    const v = this.view.getBigUint64(this.need(8), true);
    if (v > BigInt(this.data.length)) this.fail(`a length field says ${v} bytes but the pickle has ${this.data.length}`);
    return Number(v);
  }
  private bytes(n: number): Uint8Array {
    const at = this.need(n);
    return this.data.subarray(at, at + n);
  }
  private text(n: number): string {
    return new TextDecoder('utf-8').decode(this.bytes(n));
  }
  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('a text argument has no end of line');
    const s = new TextDecoder('utf-8').decode(this.data.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  private push(v: PyValue): void { this.stack.push(v); }
  /** Values above the innermost MARK: what the current opcode may take. */
  private available(): number {
    return this.stack.length - (this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0);
  }
  private pop(): PyValue {
    if (this.available() <= 0) this.fail('takes a value from an empty stack');
    return this.stack.pop()!;
  }
  private top(): PyValue {
    if (this.available() <= 0) this.fail('needs a value on the stack');
    return this.stack[this.stack.length - 1]!;
  }
  private popMark(): PyValue[] {
    const m = this.marks.pop();
    if (m === undefined) this.fail('needs a MARK and there is none');
    return this.stack.splice(m!);
  }

  load(): PyValue {
    const d = this.data;
    while (this.pos < d.length) {
      this.opAt = this.pos;
      const op = d[this.pos++]!;
      switch (op) {
        case 0x80: { // PROTO
          const v = this.u8();
          if (v > 5) this.fail(`pickle protocol ${v} is newer than 5`, 're-save the checkpoint with torch.save');
          break;
        }
        case 0x95: this.u64(); break; // FRAME: a hint for buffered readers
        case 0x28: // MARK
          if (this.marks.length >= MAX_PICKLE_NESTING) this.fail(`the pickle nests more than ${MAX_PICKLE_NESTING} levels deep`, 'it is not a genuine checkpoint');
          this.marks.push(this.stack.length);
          break;
        case 0x2e: { // STOP
          const v = this.pop();
          return v;
        }
        case 0x30: this.pop(); break; // POP
        case 0x31: this.popMark(); break; // POP_MARK
        case 0x32: this.push(this.top()); break; // DUP
        case 0x4e: this.push(null); break; // NONE
        case 0x88: this.push(true); break; // NEWTRUE
        case 0x89: this.push(false); break; // NEWFALSE
        case 0x4a: this.push(this.i32()); break; // BININT
        case 0x4b: this.push(this.u8()); break; // BININT1
        case 0x4d: this.push(this.u16()); break; // BININT2
        case 0x8a: this.push(this.long(this.u8())); break; // LONG1
        case 0x8b: this.push(this.long(this.u32())); break; // LONG4
        case 0x47: this.push(this.view.getFloat64(this.need(8), false)); break; // BINFLOAT (big-endian)
        case 0x58: this.push(this.text(this.u32())); break; // BINUNICODE
        case 0x8c: this.push(this.text(this.u8())); break; // SHORT_BINUNICODE
        case 0x8d: this.push(this.text(this.u64())); break; // BINUNICODE8
        case 0x54: this.push(latin1(this.bytes(this.u32()))); break; // BINSTRING (a Python 2 str)
        case 0x55: this.push(latin1(this.bytes(this.u8()))); break; // SHORT_BINSTRING
        case 0x42: this.push(this.bytes(this.u32()).slice()); break; // BINBYTES
        case 0x43: this.push(this.bytes(this.u8()).slice()); break; // SHORT_BINBYTES
        case 0x8e: this.push(this.bytes(this.u64()).slice()); break; // BINBYTES8
        case 0x96: this.push(this.bytes(this.u64()).slice()); break; // BYTEARRAY8
        case 0x29: this.push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x85: this.push(new PyTuple([this.pop()])); break; // TUPLE1
        case 0x86: { const b = this.pop(), a = this.pop(); this.push(new PyTuple([a, b])); break; } // TUPLE2
        case 0x87: { const c = this.pop(), b = this.pop(), a = this.pop(); this.push(new PyTuple([a, b, c])); break; } // TUPLE3
        case 0x74: this.push(new PyTuple(this.popMark())); break; // TUPLE
        case 0x5d: this.push([]); break; // EMPTY_LIST
        case 0x6c: this.push(this.popMark()); break; // LIST
        case 0x7d: this.push(new PyDict('builtins.dict')); break; // EMPTY_DICT
        case 0x64: { // DICT
          const items = this.popMark();
          const dict = new PyDict('builtins.dict');
          this.setItems(dict, items);
          this.push(dict);
          break;
        }
        case 0x8f: this.push(new PySet(false)); break; // EMPTY_SET
        case 0x91: { const s = new PySet(true); s.items.push(...this.popMark()); this.push(s); break; } // FROZENSET
        case 0x61: { const v = this.pop(); this.append(this.top(), [v]); break; } // APPEND
        case 0x65: { const items = this.popMark(); this.append(this.top(), items); break; } // APPENDS
        case 0x90: { // ADDITEMS
          const items = this.popMark();
          const s = this.top();
          if (!(s instanceof PySet)) this.fail(`ADDITEMS on ${describePy(s)}, not a set`);
          (s as PySet).items.push(...items);
          break;
        }
        case 0x73: { const v = this.pop(), k = this.pop(); this.setItems(this.top(), [k, v]); break; } // SETITEM
        case 0x75: { const items = this.popMark(); this.setItems(this.top(), items); break; } // SETITEMS
        case 0x68: this.push(this.get(this.u8())); break; // BINGET
        case 0x6a: this.push(this.get(this.u32())); break; // LONG_BINGET
        case 0x71: this.memo.set(this.u8(), this.top()); break; // BINPUT
        case 0x72: this.memo.set(this.u32(), this.top()); break; // LONG_BINPUT
        case 0x94: this.memo.set(this.memo.size, this.top()); break; // MEMOIZE
        case 0x63: { // GLOBAL
          const module = this.line(), name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.pop(), module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.push(this.global(module as string, name as string));
          break;
        }
        case 0x52: { // REDUCE
          const args = this.pop(), fn = this.pop();
          if (!(args instanceof PyTuple)) this.fail(`REDUCE needs an argument tuple, got ${describePy(args)}`);
          this.push(this.call(fn, (args as PyTuple).items));
          break;
        }
        case 0x81: { // NEWOBJ: cls.__new__(cls, *args)
          const args = this.pop(), cls = this.pop();
          if (!(args instanceof PyTuple)) this.fail(`NEWOBJ needs an argument tuple, got ${describePy(args)}`);
          this.push(this.instantiate(cls, (args as PyTuple).items));
          break;
        }
        case 0x92: { // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
          const kwargs = this.pop(), args = this.pop(), cls = this.pop();
          if (!(args instanceof PyTuple) || !(kwargs instanceof PyDict)) this.fail('NEWOBJ_EX needs an argument tuple and a keyword dict');
          this.push(this.instantiate(cls, (args as PyTuple).items));
          break;
        }
        case 0x62: { // BUILD: obj.__setstate__(state), kept as data
          const state = this.pop();
          const obj = this.top();
          if (obj instanceof PyObject) obj.state = state;
          else if (obj instanceof PyDict) obj.attributes = state;
          break;
        }
        case 0x51: this.push(this.hooks.persistentLoad(this.pop(), this.opAt)); break; // BINPERSID
        case 0x82: case 0x83: case 0x84: // EXT1, EXT2, EXT4
          this.fail('uses the copyreg extension registry', 'torch.save never writes it: re-save the checkpoint with torch.save');
          break;
        case 0x97: case 0x98: // NEXT_BUFFER, READONLY_BUFFER
          this.fail('refers to an out-of-band buffer', 'torch.save never writes one: re-save the checkpoint with torch.save');
          break;
        case 0x46: case 0x49: case 0x4c: case 0x53: case 0x56: case 0x50: case 0x67: case 0x70: case 0x69: case 0x6f:
          this.fail(`opcode '${String.fromCharCode(op)}' belongs to the text pickle protocols 0 and 1`, 'torch.save writes protocol 2 or later: re-save the checkpoint with torch.save');
          break;
        default:
          this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
    return this.fail('the pickle ends without a STOP opcode');
  }

  private long(n: number): number | bigint {
    if (n > 1024) this.fail(`an integer of ${n} bytes`, 'no checkpoint stores integers that large; re-save it');
    const b = this.bytes(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private get(i: number): PyValue {
    if (!this.memo.has(i)) this.fail(`memo entry ${i} was never stored`);
    return this.memo.get(i)!;
  }

  private global(rawModule: string, name: string): PyGlobal {
    const module = MODULE_ALIASES[rawModule] ?? rawModule;
    if (isCodeGlobal(module, name)) {
      throw new CheckpointFormatError(
        `${this.source}: the pickle (byte ${this.opAt}) calls ${module}.${name}, which would run code on the machine that loads it with torch.load; ` +
          'ssmc never runs pickled code and refuses the file — it is not a plain checkpoint: do not load it in PyTorch either, and get the weights from a trusted source',
      );
    }
    return new PyGlobal(module, name);
  }

  private call(fn: PyValue, args: readonly PyValue[]): PyValue {
    if (fn instanceof PyGlobal) {
      const built = builtinCall(fn, args) ?? this.hooks.call?.(fn, args, this.opAt);
      if (built !== undefined) return built;
    }
    return new PyObject(fn, args);
  }

  private instantiate(cls: PyValue, args: readonly PyValue[]): PyValue {
    if (cls instanceof PyGlobal) {
      if (DICT_TYPES.has(cls.qualified)) return new PyDict(cls.qualified);
      if (cls.qualified === 'builtins.list') return [];
      if (cls.qualified === 'builtins.set' || cls.qualified === 'builtins.frozenset') return new PySet(cls.name === 'frozenset');
    }
    return new PyObject(cls, args);
  }

  private append(target: PyValue, items: PyValue[]): void {
    if (Array.isArray(target)) target.push(...items);
    else if (target instanceof PyObject) target.listItems.push(...items);
    else if (target instanceof PySet) target.items.push(...items);
    else this.fail(`APPEND to ${describePy(target)}, not a list`);
  }

  private setItems(target: PyValue, items: PyValue[]): void {
    if (items.length % 2 !== 0) this.fail('SETITEMS needs key-value pairs');
    for (let i = 0; i < items.length; i += 2) {
      if (target instanceof PyDict) target.set(items[i]!, items[i + 1]!);
      else if (target instanceof PyObject) target.dictItems.push([items[i]!, items[i + 1]!]);
      else this.fail(`SETITEM on ${describePy(target)}, not a dict`);
    }
  }
}

/** The few builtins a pickle calls to make plain data; everything else stays inert. */
function builtinCall(fn: PyGlobal, args: readonly PyValue[]): PyValue | undefined {
  const q = fn.qualified;
  if (DICT_TYPES.has(q)) {
    const d = new PyDict(q);
    // dict(iterable of pairs) or OrderedDict([(k, v), …]); defaultdict(factory) has no items.
    const src = q === 'collections.defaultdict' ? undefined : args[0];
    if (Array.isArray(src)) for (const kv of src) if (kv instanceof PyTuple && kv.items.length === 2) d.set(kv.items[0]!, kv.items[1]!);
    if (src instanceof PyDict) for (const [k, v] of src.entries.values()) d.set(k, v);
    return d;
  }
  const seq = (v: PyValue | undefined): PyValue[] | undefined =>
    v === undefined ? [] : Array.isArray(v) ? [...v] : v instanceof PyTuple ? [...v.items] : v instanceof PySet ? [...v.items] : undefined;
  switch (q) {
    case 'builtins.set':
    case 'builtins.frozenset': {
      const items = seq(args[0]);
      if (!items) return undefined;
      const s = new PySet(fn.name === 'frozenset');
      s.items.push(...items);
      return s;
    }
    case 'builtins.list': return seq(args[0]);
    case 'builtins.tuple': { const items = seq(args[0]); return items ? new PyTuple(items) : undefined; }
    case '_codecs.encode': // how protocol 2 writes Python 3 bytes: _codecs.encode(text, 'latin1')
      if (typeof args[0] === 'string' && (args[1] === 'latin1' || args[1] === 'latin-1')) return Uint8Array.from(args[0], (c) => c.charCodeAt(0) & 0xff);
      return undefined;
    case 'builtins.bytes':
    case 'builtins.bytearray':
      if (args.length === 0) return new Uint8Array(0);
      if (args[0] instanceof Uint8Array) return args[0].slice();
      if (typeof args[0] === 'string' && (args[1] === 'latin1' || args[1] === 'latin-1')) return Uint8Array.from(args[0], (c) => c.charCodeAt(0) & 0xff);
      return undefined;
    default:
      return undefined;
  }
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Map key with Python's equality for the hashable primitives; containers and objects by identity. */
function dictKey(k: PyValue): unknown {
  if (typeof k === 'bigint') return Number.isSafeInteger(Number(k)) ? Number(k) : `bigint:${k}`;
  if (typeof k === 'boolean') return k ? 1 : 0;
  return k;
}

/** A one-line description of a value for messages (never recursive). */
export function describePy(v: PyValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (v instanceof PyDict) return `a ${v.type === 'builtins.dict' ? 'dict' : v.type} of ${v.entries.size}`;
  if (v instanceof PySet) return `a ${v.frozen ? 'frozenset' : 'set'} of ${v.items.length}`;
  if (v instanceof PyGlobal) return `the global ${v.qualified}`;
  if (v instanceof PyObject) return `an object made by ${v.what}`;
  return v.describe();
}
