#!/usr/bin/python3
"""Compare two folders of .onnx files made by .ci/golden-graphs.sh (before and after a change).

For each file present in both, one verdict:
  identical            the bytes are equal
  identical-but-meta   equal once the metadata entries named with --ignore-meta are set aside (and
                       the ai.ssmc ops renamed with --rename-op given their new names)
  same-up-to-names     equal once, in addition, every internal value, node and subgraph name is
                       renamed by its position and initializers are put in the order of their
                       contents (the interface keeps its names): the same graph, built with fresh
                       names drawn in another order
  differs              anything else, with the op counts and initializer differences
Refusals (.err files) are compared as text. Needs Debian's python3-onnx.

  .ci/compare-graphs.py BEFORE AFTER [--ignore-meta ssmc.layers] [--details]
"""
import argparse
import collections
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def renamed_ops(model, ops):
    """The model with ai.ssmc ops (call nodes and their functions) renamed by `ops` {old: new}."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for n in m.graph.node:
        if n.domain == 'ai.ssmc':
            base, _, suffix = n.op_type.partition('_')
            if base in ops:
                n.op_type = ops[base] + ('_' + suffix if suffix else '')
    for f in m.functions:
        base, _, suffix = f.name.partition('_')
        if f.domain == 'ai.ssmc' and base in ops:
            f.name = ops[base] + ('_' + suffix if suffix else '')
            f.doc_string = f.doc_string.replace(f'ssmc {base} ', f'ssmc {ops[base]} ')
    return m


def canonical(model, ignore_meta, rename):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    keep = [p for p in m.metadata_props if p.key not in ignore_meta]
    del m.metadata_props[:]
    m.metadata_props.extend(keep)
    if rename:
        rename_graph(m.graph, public=True)
        for f in m.functions:
            rename_function(f)
    return m.SerializeToString(deterministic=True)


class Renamer:
    """Fresh names by position: values, initializers, nodes and subgraphs of one graph or function."""

    def __init__(self):
        self.counter = collections.Counter()

    def fresh(self, kind):
        self.counter[kind] += 1
        return f'{kind}{self.counter[kind]}'

    def nodes(self, nodes, names, keep):
        for n in nodes:
            n.name = self.fresh('node')
            for i, x in enumerate(n.input):
                n.input[i] = names.get(x, x)
            for a in n.attribute:
                subs = [a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs) if a.type == onnx.AttributeProto.GRAPHS else []
                for sub in subs:
                    self.graph(sub, dict(names), keep_io=False)
            for i, x in enumerate(n.output):
                if x and x not in keep:
                    names[x] = self.fresh('value')
                    n.output[i] = names[x]

    def graph(self, g, names, keep_io):
        keep = {v.name for v in g.input} | {v.name for v in g.output} if keep_io else set()
        # Initializers in the order of their contents: the order a builder created them in is a name too.
        # Equal contents are told apart by the first node that reads them.
        first_use = {}
        for i, n in enumerate(g.node):
            for x in n.input:
                first_use.setdefault(x, i)
        ordered = sorted(g.initializer, key=lambda t: (t.data_type, tuple(t.dims), numpy_helper.to_array(t).tobytes(), first_use.get(t.name, -1)))
        del g.initializer[:]
        g.initializer.extend(ordered)
        if not keep_io:
            for v in g.input:
                names[v.name] = self.fresh('value')
                v.name = names[v.name]
        for t in g.initializer:
            if t.name not in keep:
                names[t.name] = self.fresh('init')
                t.name = names[t.name]
        self.nodes(g.node, names, keep)
        for v in list(g.output) + list(g.value_info):
            v.name = names.get(v.name, v.name)
        g.name = self.fresh('graph')


def rename_graph(g, public):
    Renamer().graph(g, {}, keep_io=public)


def rename_function(f):
    Renamer().nodes(f.node, {}, set(f.input) | set(f.output))


def ops(model):
    c = collections.Counter(f'{n.domain + "." if n.domain else ""}{n.op_type}' for n in model.graph.node)
    return dict(sorted(c.items()))


def pairs(ia, ib):
    """Initializers paired as equal contents first, the rest by dtype and shape in order; None when they do not pair up."""
    content = lambda t: (t.data_type, tuple(t.dims), numpy_helper.to_array(t).tobytes())
    pool = collections.defaultdict(list)
    for t in ib:
        pool[content(t)].append(t)
    out, rest_a = [], []
    for t in ia:
        same = pool.get(content(t))
        if same:
            out.append((t, same.pop(0)))
        else:
            rest_a.append(t)
    key = lambda t: (t.data_type, tuple(t.dims))
    rest_b = sorted((t for ts in pool.values() for t in ts), key=key)
    rest_a = sorted(rest_a, key=key)
    if len(rest_a) != len(rest_b) or any(key(x) != key(y) for x, y in zip(rest_a, rest_b)):
        return None
    return out + list(zip(rest_a, rest_b))


def initializer_diff(a, b):
    """Largest |Δ|/peak between paired initializers, or a note on why they do not pair."""
    ia, ib = list(a.graph.initializer), list(b.graph.initializer)
    paired = pairs(ia, ib)
    if paired is None:
        return f'{len(ia)} vs {len(ib)} initializers, not paired by name, dtype and shape'
    worst, where = 0.0, None
    for x, y in paired:
        xa, ya = numpy_helper.to_array(x), numpy_helper.to_array(y)
        if xa.shape != ya.shape or xa.dtype != ya.dtype:
            return f'initializer {x.name} {xa.dtype}{list(xa.shape)} vs {y.name} {ya.dtype}{list(ya.shape)}'
        if xa.size and np.issubdtype(xa.dtype, np.floating):
            d = float(np.max(np.abs(xa.astype(np.float64) - ya.astype(np.float64))))
            scale = float(np.max(np.abs(xa))) or 1.0
            if d / scale > worst:
                worst, where = d / scale, y.name
        elif not np.array_equal(xa, ya):
            return f'initializer {y.name} differs'
    return f'max |Δ|/peak over initializers {worst:.2e}' + (f' ({where})' if where else '')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('before')
    ap.add_argument('after')
    ap.add_argument('--ignore-meta', action='append', default=[])
    ap.add_argument('--details', action='store_true')
    ap.add_argument('--rename-op', action='append', default=[], help='OLD=NEW: an ai.ssmc op renamed between the two (applied to BEFORE)')
    args = ap.parse_args()
    verdicts = collections.defaultdict(list)
    files = sorted(set(os.listdir(args.before)) | set(os.listdir(args.after)))
    for name in files:
        pa, pb = os.path.join(args.before, name), os.path.join(args.after, name)
        if os.path.isdir(pa) or os.path.isdir(pb):
            continue
        if not os.path.exists(pa) or not os.path.exists(pb):
            verdicts['only-before' if os.path.exists(pa) else 'only-after'].append(name)
            continue
        ba, bb = open(pa, 'rb').read(), open(pb, 'rb').read()
        if ba == bb:
            verdicts['identical'].append(name)
            continue
        if name.endswith('.err'):
            verdicts['refusal-text'].append(f'{name}:\n    - {ba.decode().strip()}\n    + {bb.decode().strip()}')
            continue
        ma, mb = renamed_ops(onnx.load_from_string(ba), dict(r.split('=') for r in args.rename_op)), onnx.load_from_string(bb)
        if canonical(ma, args.ignore_meta, False) == canonical(mb, args.ignore_meta, False):
            verdicts['identical-but-meta'].append(name)
        elif canonical(ma, args.ignore_meta, True) == canonical(mb, args.ignore_meta, True):
            verdicts['same-up-to-names'].append(name)
        else:
            oa, ob = ops(ma), ops(mb)
            delta = {k: (oa.get(k, 0), ob.get(k, 0)) for k in sorted(set(oa) | set(ob)) if oa.get(k, 0) != ob.get(k, 0)}
            verdicts['differs'].append(f'{name}: ops {delta or "same counts"}; {initializer_diff(ma, mb)}')
    for verdict in ['identical', 'identical-but-meta', 'same-up-to-names', 'differs', 'refusal-text', 'only-before', 'only-after']:
        items = verdicts.get(verdict, [])
        print(f'{verdict}: {len(items)}')
        if items and (args.details or verdict in ('differs', 'refusal-text', 'only-before', 'only-after', 'same-up-to-names')):
            for it in items:
                print(f'  {it}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
