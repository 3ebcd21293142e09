import { describe, expect, it } from 'vitest';
import { CheckpointFormatError } from '../../export/checkpoint-error.js';
import { PyObject, unpickle, type PyValue } from '../../export/pickle.js';
import { Opaque, toPlain } from '../../export/torch-checkpoint.js';

/** Pickles written opcode by opcode, so every opcode and every malformation is exercised on purpose. */
class P {
  private readonly parts: number[] = [];
  op(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  repeat(byte: number, n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(byte);
    return this;
  }
  u32(n: number): this {
    return this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  u64(n: number): this {
    return this.u32(n).u32(Math.floor(n / 2 ** 32));
  }
  str(s: string): this { // BINUNICODE
    const b = new TextEncoder().encode(s);
    return this.op(0x58).u32(b.length).op(...b);
  }
  short(s: string): this { // SHORT_BINUNICODE
    const b = new TextEncoder().encode(s);
    return this.op(0x8c, b.length, ...b);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  int(n: number): this { // BININT
    return this.op(0x4a).u32(n >>> 0);
  }
  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.op(0x47, ...b);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const noHooks = { persistentLoad: () => null };
const load = (p: P | Uint8Array) => unpickle(p instanceof P ? p.bytes() : p, 'test.pkl', noHooks);
const plain = (p: P | Uint8Array) => toPlain(load(p), 'test.pkl');
const MARK = 0x28, STOP = 0x2e, EMPTY_DICT = 0x7d, EMPTY_LIST = 0x5d, SETITEM = 0x73, SETITEMS = 0x75, APPEND = 0x61, APPENDS = 0x65;
const TUPLE = 0x74, TUPLE1 = 0x85, TUPLE2 = 0x86, EMPTY_TUPLE = 0x29, REDUCE = 0x52, BUILD = 0x62, NEWOBJ = 0x81;
const BINPUT = 0x71, BINGET = 0x68, LONG_BINPUT = 0x72, LONG_BINGET = 0x6a, MEMOIZE = 0x94, NONE = 0x4e, NEWTRUE = 0x88, NEWFALSE = 0x89;

describe('the restricted unpickler', () => {
  it('reads every data opcode of protocols 2 to 5', () => {
    const enc = (t: string) => [...new TextEncoder().encode(t)];
    const entries: [string, (p: P) => P][] = [
      ['ints', (p) => p.op(MARK).int(-5).op(0x4b, 200, 0x4d, 0x34, 0x12) // BININT, BININT1, BININT2
        .op(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0x8a, 1, 0xff) // LONG1 2^63, LONG1 -1
        .op(0x8b).u32(2).op(0x00, 0x01, 0x8a, 0, 0x6c)], // LONG4 256, LONG1 0, LIST
      ['prims', (p) => p.op(MARK, NONE, NEWTRUE, NEWFALSE).float(0.1).op(TUPLE)],
      ['unicode8', (p) => p.op(0x8d).u64(2).op(0x68, 0x69, MEMOIZE)],
      ['binstring', (p) => p.op(0x55, 3, 0x61, 0x62, 0xe9)],
      ['bytes', (p) => p.op(MARK, 0x42).u32(2).op(1, 2, 0x43, 1, 3, 0x8e).u64(1).op(4, 0x96).u64(1).op(5)
        .global('_codecs', 'encode').str('\u00ff!').str('latin1').op(TUPLE2, REDUCE, 0x6c)],
      ['tuples', (p) => p.op(MARK, EMPTY_TUPLE, MARK, 0x4b, 1, 0x4b, 2, 0x4b, 3, 0x4b, 4, TUPLE, 0x6c)],
      ['set', (p) => p.op(0x8f, MARK, 0x4b, 7, 0x4b, 8, 0x90)],
      ['frozenset', (p) => p.op(MARK, 0x4b, 9, 0x91)],
      ['dup', (p) => p.op(0x4b, 1, 0x32, 0x30)],
      ['popmark', (p) => p.op(0x4b, 2, MARK, 0x4b, 1, 0x31)],
      ['odict', (p) => p.global('collections', 'OrderedDict').op(EMPTY_TUPLE, REDUCE, MARK).short('a').op(0x4b, 1, SETITEMS)],
      ['newobj', (p) => p.op(0x8c, 11, ...enc('collections'), 0x8c, 11, ...enc('OrderedDict'), 0x93, EMPTY_TUPLE, NEWOBJ)],
      ['newobj_ex', (p) => p.op(0x8c, 8, ...enc('builtins'), 0x8c, 4, ...enc('list'), 0x93, EMPTY_TUPLE, EMPTY_DICT, 0x92, 0x4b, 6, APPEND, MARK, 0x4b, 7, APPENDS)],
      ['dict', (p) => p.op(MARK).short('k').op(NONE, 0x64)],
    ];
    const p = new P().op(0x80, 4).op(0x95).u64(0).op(EMPTY_DICT, MEMOIZE); // PROTO 4, FRAME
    for (const [key, value] of entries) value(p.short(key)).op(SETITEM);
    expect(plain(p.op(STOP))).toEqual({
      ints: [-5, 200, 0x1234, 2n ** 63n, -1, 256, 0], prims: [null, true, false, 0.1], unicode8: 'hi', binstring: 'ab\u00e9',
      bytes: [Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(4), Uint8Array.of(5), Uint8Array.of(255, 33)],
      tuples: [[], [1, 2, 3, 4]], set: [7, 8], frozenset: [9], dup: 1, popmark: 2, odict: { a: 1 }, newobj: {}, newobj_ex: [6, 7], dict: { k: null },
    });
  });

  it('keeps memo references as shared objects (BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE)', () => {
    const p = new P().op(0x80, 2, EMPTY_LIST, BINPUT, 0, EMPTY_DICT, LONG_BINPUT).u32(70000)
      .op(MARK).str('x').op(BINGET, 0).op(SETITEMS)
      .op(APPEND, LONG_BINGET).u32(70000).op(APPEND, BINGET, 0, APPEND, STOP);
    const v = load(p) as PyValue[];
    expect(v[0]).toBe(v[1]);
    const out = toPlain(v, 't') as unknown[];
    expect(out[0]).toBe(out[1]);
    expect(out[2]).toEqual(new Opaque('a reference back to a container that encloses it'));
  });

  it('turns calls of unknown globals into inert objects that record what was called', () => {
    const p = new P().op(0x80, 2).global('pathlib', 'PosixPath').str('/tmp').op(TUPLE1, REDUCE)
      .op(EMPTY_DICT).str('k').op(0x4b, 1, SETITEM, BUILD, STOP);
    const v = load(p);
    expect(v).toBeInstanceOf(PyObject);
    expect((v as PyObject).what).toBe('pathlib.PosixPath');
    expect(toPlain(v, 't')).toEqual(new Opaque('an object of pathlib.PosixPath'));
  });

  for (const [module, name] of [['os', 'system'], ['posix', 'system'], ['nt', 'system'], ['subprocess', 'Popen'], ['__builtin__', 'eval'], ['builtins', 'exec'], ['builtins', 'getattr'], ['torch.hub', 'load']]) {
    it(`refuses a pickle that names ${module}.${name}`, () => {
      const p = new P().op(0x80, 2).global(module!, name!).str('touch x').op(TUPLE1, REDUCE, STOP);
      expect(() => load(p)).toThrow(/would run code .* ssmc never runs pickled code/);
    });
  }
  it('refuses code globals given by STACK_GLOBAL too', () => {
    const p = new P().op(0x80, 4).short('os').short('system').op(0x93, STOP);
    expect(() => load(p)).toThrow(/os\.system, which would run code/);
  });

  it('bounds nesting: 10^5 open MARKs are one message', () => {
    const p = new P().op(0x80, 2).repeat(MARK, 100_000).op(STOP);
    expect(() => load(p)).toThrow(/nests more than 1000 levels deep/);
  });
  it('bounds nesting: 10^5 nested lists or tuples are one message, not a stack overflow', () => {
    const n = 100_000;
    const lists = new P().op(0x80, 2).repeat(EMPTY_LIST, n).repeat(APPEND, n - 1).op(STOP);
    expect(() => plain(lists)).toThrow(CheckpointFormatError);
    expect(() => plain(lists)).toThrow(/more than 1000 levels deep/);
    const tuples = new P().op(0x80, 2, EMPTY_TUPLE).repeat(TUPLE1, n).op(STOP);
    expect(() => plain(tuples)).toThrow(/more than 1000 levels deep/);
  });
  it('converts shared references once (a list referenced twice at each of 60 levels)', () => {
    const p = new P().op(0x80, 2, EMPTY_LIST);
    for (let i = 0; i < 60; i++) p.op(BINPUT, 0, EMPTY_LIST, BINGET, 0, APPEND, BINGET, 0, APPEND);
    p.op(STOP);
    const t0 = performance.now();
    const v = plain(p) as unknown[];
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(v[0]).toBe(v[1]);
  });

  it('does not let a __proto__ key reach the prototype', () => {
    const p = new P().op(0x80, 2, EMPTY_DICT).str('__proto__').op(EMPTY_DICT).str('polluted').op(NEWTRUE, SETITEM, SETITEM, STOP);
    const v = plain(p) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((v as { polluted?: unknown }).polluted).toBeUndefined();
  });

  const malformed: [string, P | Uint8Array, RegExp][] = [
    ['a string longer than the pickle', new P().op(0x80, 2, 0x58).u32(1_000_000).op(0x61), /needs 1000000 more bytes/],
    ['no STOP', new P().op(0x80, 2, NONE), /without a STOP/],
    ['a memo entry never stored', new P().op(0x80, 2, BINGET, 5, STOP), /memo entry 5 was never stored/],
    ['a pop from an empty stack', new P().op(0x80, 2, 0x30, STOP), /empty stack/],
    ['APPEND to a number', new P().op(0x80, 2, 0x4b, 1, NONE, APPEND, STOP), /APPEND to the number 1/],
    ['SETITEM on a list', new P().op(0x80, 2, EMPTY_LIST, NONE, NONE, SETITEM, STOP), /SETITEM on a list/],
    ['an unknown opcode', new P().op(0x80, 2, 0xff), /unknown opcode 0xff/],
    ['protocol 6', new P().op(0x80, 6, NONE, STOP), /protocol 6/],
    ['a text-protocol opcode', new P().op(0x49, 0x31, 0x0a, STOP), /text pickle protocols 0 and 1/],
    ['an extension code', new P().op(0x80, 2, 0x82, 1, STOP), /extension registry/],
    ['an integer of 4 KiB', new P().op(0x80, 2, 0x8b).u32(4096).repeat(1, 4096).op(STOP), /integer of 4096 bytes/],
    ['a MARK-less TUPLE', new P().op(0x80, 2, TUPLE, STOP), /needs a MARK/],
    ['a length field beyond the pickle', new P().op(0x80, 4, 0x8d).u64(2 ** 40), /says 1099511627776 bytes/],
  ];
  for (const [what, p, message] of malformed) {
    it(`refuses ${what} with one message`, () => {
      expect(() => load(p)).toThrow(CheckpointFormatError);
      expect(() => load(p)).toThrow(message);
    });
  }
});
