import type { Builder } from '../../../ir/builder.js';
import type { Value } from '../../../ir/value.js';
import { randn } from '../init.js';
import { identity, positionwise, prefixed, sequential, type Layer } from '../layer.js';
import { linearLayer } from './pieces.js';
import type { DecoderSpec, EncoderSpec } from './spec.js';

/** The pipeline's encoders (src/tasks/encoders.py and the lm task's), each under `encoder.<i>.`. */
export function encoderLayer(e: EncoderSpec): Layer {
  const p = prefixed(`encoder.${e.index}.`);
  switch (e.kind) {
    case 'linear':
      return linearLayer(e.dIn, e.dOut, p(''), e.bias);
    case 'embedding':
      // nn.Embedding: [B, L] (or [B]) int64 ids → rows of the table.
      return positionwise({
        params: () => [{ name: p('weight'), shape: [e.nTokens, e.dOut], dtype: 'float32' }],
        init: (rng) => [[p('weight'), randn(rng, [e.nTokens, e.dOut], e.dOut ** -0.5)]],
        apply: ({ b, params }, ids) => b.op('Gather', [params.real(p('weight')), ids], { axis: 0 }),
      });
    case 'scale':
      return positionwise({ params: () => [], init: () => [], apply: ({ b }, x) => b.mul(x, b.f32(e.factor)) });
    case 'id':
      return identity;
  }
}

/** The pipeline's decoders (src/tasks/decoders.py and the lm task's Linear), each under `decoder.<i>.`. */
export function decoderLayer(d: DecoderSpec): Layer {
  const prefix = `decoder.${d.index}.`;
  switch (d.kind) {
    case 'linear':
      return linearLayer(d.dIn, d.dOut, prefix, d.bias);
    case 'id':
      return identity;
    case 'sequence': {
      const transform = d.dOut === null ? identity : linearLayer(d.dIn, d.dOut, `${prefix}output_transform.`);
      return sequential([restrictLayer(d.mode, d.lOutput, prefix), transform]);
    }
  }
}

const RUNNING_SUM = 'running sum of the inputs over the positions so far, float32';
const RUNNING_COUNT = 'number of positions so far, float32';

/**
 * SequenceDecoder's restriction of [B, L, H] to its outputs: `last` / `first` keep ℓ positions
 * (every one when l_output is None, one squeezed away when it is 0), `pool` takes the mean over
 * the sequence, `sum` the cumulative sum's last ℓ rows.
 *
 * Step form (one position x_t): `last` and `first` return that position's output (the conv
 * output's rows are the step outputs at the positions kept); `pool` and `sum` carry the running
 * sum (and count) as states `<prefix>sum` / `<prefix>count` and return the mean / sum so far, so
 * the step output at the last position is the conv output.
 */
export function restrictLayer(mode: 'last' | 'first' | 'pool' | 'sum', lOutput: number | null, prefix: string): Layer {
  const keep = lOutput === 0 ? 1 : lOutput;
  if (mode === 'last' || mode === 'first') {
    return positionwise({
      params: () => [],
      init: () => [],
      apply: ({ b }, x) => {
        if (x.type.shape?.length === 2 || keep === null) return x; // one position, or every position kept
        const kept = mode === 'last' ? b.slice(x, [-keep], [Number.MAX_SAFE_INTEGER], [1]) : b.slice(x, [0], [keep], [1]);
        return lOutput === 0 ? b.squeeze(kept, [1]) : kept;
      },
    });
  }
  if (mode === 'pool') return meanPool(prefix);
  const p = prefixed(prefix);
  const conv = (b: Builder, x: Value) => {
    if (lOutput === 0) return sumOverPositions(b, x);
    const cum = b.op('CumSum', [x, b.i64(1, [], 'axis')]);
    return keep === null ? cum : b.slice(cum, [-keep], [Number.MAX_SAFE_INTEGER], [1]);
  };
  return {
    params: () => [],
    init: () => [],
    conv: ({ b }, x) => conv(b, x),
    recurrence: {
      step: ({ b }, x, states) => {
        const next = b.add(states.tensor(p('sum'), [width(x, 1)], RUNNING_SUM), x);
        states.setOut(p('sum'), next);
        return next;
      },
      prefill: ({ b }, x, states) => {
        states.setTensor(p('sum'), [width(x, 2)], sumOverPositions(b, x), RUNNING_SUM);
        return conv(b, x);
      },
    },
  };
}

/** [B, L, H] → [B, H]: the sum over positions, the sequence heads' shared reduction. */
function sumOverPositions(b: Builder, x: Value): Value {
  return b.op('ReduceSum', [x, b.i64([1], undefined, 'axes')], { keepdims: 0 });
}

function width(x: Value, axis: number): number {
  const w = x.type.shape?.[axis];
  if (typeof w !== 'number') throw new Error('internal: a running sum over features of unknown width');
  return w;
}

/**
 * The mean over the sequence ([B, L, H] → [B, H]); as a recurrence, the running sum and count
 * (states `<prefix>sum` [H] and `<prefix>count` [1]) and the mean so far.
 */
export function meanPool(prefix: string): Layer {
  const p = prefixed(prefix);
  // ReduceMean rather than the sum divided by Cast(Shape): that length is computed on the host, and a
  // device (WebGPU) would have it copied over on every run. Its axes are an input from opset 18.
  const conv = (b: Builder, x: Value) => b.opset >= 18 ? b.op('ReduceMean', [x, b.i64([1], undefined, 'axes')], { keepdims: 0 }) : b.op('ReduceMean', [x], { axes: [1], keepdims: 0 });
  return {
    params: () => [],
    init: () => [],
    conv: ({ b }, x) => conv(b, x),
    recurrence: {
      step: ({ b }, x, states) => {
        const sum = b.add(states.tensor(p('sum'), [width(x, 1)], RUNNING_SUM), x);
        const count = b.add(states.tensor(p('count'), [1], RUNNING_COUNT), b.f32(1));
        states.setOut(p('sum'), sum);
        states.setOut(p('count'), count);
        return b.div(sum, count);
      },
      prefill: ({ b }, x, states) => {
        states.setTensor(p('sum'), [width(x, 2)], sumOverPositions(b, x), RUNNING_SUM);
        // L as [B, 1]: a sum of ones over positions, formed on the device (a length cast from Shape is a host value).
        const shape = b.concat([b.unsqueeze(b.dim(x, 0), [0]), b.unsqueeze(b.dim(x, 1), [0]), b.i64([1], undefined, 'one')], 0);
        states.setTensor(p('count'), [1], sumOverPositions(b, b.op('Expand', [b.f32(1), shape])), RUNNING_COUNT);
        return conv(b, x);
      },
    },
  };
}
