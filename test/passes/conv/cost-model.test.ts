/**
 * The cost model against what was measured: its job is to rank the lowerings as onnxruntime does,
 * and its estimates should be near enough to the measured times that a ranking is not luck.
 * The measured cases: ../shared/docs/lowering-notes.md (the convolution alone, H = 256, one
 * output channel, a full-length causal kernel; the chunked row a diagonal SSM of 32 complex
 * modes) and README's Benchmarks (S4D and S4 DPLR with d_state 64, L = 16384), both on the
 * 2-core AVX2 machine whose throughputs passes/conv/targets.ts holds.
 */
import { describe, expect, it } from 'vitest';
import { chooseLowering, type ConvFacts, estimateAll, LOWERINGS, ORT_CPU, ORT_WASM } from 'ssmc/passes';

/**
 * How far an estimate may be from the measured median: the model counts operations and prices
 * them at one throughput per kernel class, and the machines are noisy (±15 %); the lowerings it
 * ranks differ by 2-40×.
 */
const ESTIMATE_FACTOR = 2;

interface Measured {
  source: string;
  kernel: 'diagonal' | 'dense';
  L: number;
  threads: number;
  /** Medians in ms, by lowering (fourstep: the stage count its plan uses). */
  ms: Record<string, number>;
}

const NOTES = 'lowering-notes.md';
const README = 'README Benchmarks';
const MEASURED: Measured[] = [
  { source: NOTES, kernel: 'diagonal', L: 1024, threads: 1, ms: { dft: 26.9, fourstep: 9.5, chunked: 4.8, direct: 144 } },
  { source: NOTES, kernel: 'diagonal', L: 1024, threads: 2, ms: { dft: 24.1, fourstep: 6.2, chunked: 4.3, direct: 81 } },
  { source: NOTES, kernel: 'diagonal', L: 4096, threads: 1, ms: { dft: 124, fourstep: 50, chunked: 15.8 } },
  { source: NOTES, kernel: 'diagonal', L: 4096, threads: 2, ms: { dft: 128, fourstep: 33, chunked: 10.7 } },
  { source: NOTES, kernel: 'diagonal', L: 16384, threads: 1, ms: { dft: 719, fourstep: 281, chunked: 61.6 } },
  { source: NOTES, kernel: 'diagonal', L: 16384, threads: 2, ms: { dft: 722, fourstep: 180, chunked: 34.3 } },
  { source: README, kernel: 'diagonal', L: 16384, threads: 1, ms: { dft: 914, fourstep: 277, chunked: 65.1 } },
  { source: README, kernel: 'diagonal', L: 16384, threads: 2, ms: { dft: 759, fourstep: 153, chunked: 37.3 } },
  { source: README, kernel: 'dense', L: 16384, threads: 1, ms: { dft: 761, fourstep: 224, chunked: 65.1 } },
  { source: README, kernel: 'dense', L: 16384, threads: 2, ms: { dft: 711, fourstep: 144, chunked: 63.1 } },
];

function facts(kernel: 'diagonal' | 'dense', L: number, over: Partial<ConvFacts> = {}): ConvFacts {
  return { H: 256, C: 1, L, Lk: L, fullLength: true, bidirectional: false, kernel, hasTaps: true, modes: kernel === 'diagonal' ? 32 : null, states: kernel === 'dense' ? 64 : null, ...over };
}

const byTime = (ms: Record<string, number>) => Object.keys(ms).sort((a, b) => ms[a]! - ms[b]!);

describe('the cost model against the measured cases (ort-cpu)', () => {
  it.each(MEASURED.map((m) => [`${m.source}: ${m.kernel}, L=${m.L}, ${m.threads} thread(s)`, m] as const))('%s: same ranking, each estimate within 2× of the median', (_, m) => {
    const estimates = estimateAll(facts(m.kernel, m.L), LOWERINGS, { target: ORT_CPU, threads: m.threads, opset: 17 });
    const predicted: Record<string, number> = {};
    for (const name of Object.keys(m.ms)) predicted[name] = estimates.find((e) => e.lowering === name)!.ms!;
    expect(byTime(predicted)).toEqual(byTime(m.ms));
    for (const [name, ms] of Object.entries(m.ms)) {
      const ratio = predicted[name]! / ms;
      expect(ratio, `${name}: estimated ${predicted[name]!.toFixed(1)} ms, measured ${ms} ms`).toBeLessThan(ESTIMATE_FACTOR);
      expect(ratio, `${name}: estimated ${predicted[name]!.toFixed(1)} ms, measured ${ms} ms`).toBeGreaterThan(1 / ESTIMATE_FACTOR);
    }
    expect(chooseLowering(facts(m.kernel, m.L), LOWERINGS, { target: ORT_CPU, threads: m.threads, opset: 17 }).lowering).toBe(byTime(m.ms)[0]);
  });
});

describe('the cost model: what it rules out and assumes', () => {
  const p = { target: ORT_CPU, threads: 1, opset: 17 };

  it('a kernel given by its taps alone cannot be chunked; a dense one without taps can only be chunked (with a Scan or by doubling)', () => {
    const taps = estimateAll(facts('diagonal', 4096, { kernel: 'taps', modes: null }), LOWERINGS, p);
    for (const name of ['chunked', 'doubling']) {
      expect(taps.find((e) => e.lowering === name)!.ms).toBeNull();
      expect(taps.find((e) => e.lowering === name)!.note).toMatch(/needs a state-space description/);
    }
    const dense = estimateAll(facts('dense', 4096, { hasTaps: false }), LOWERINGS, p);
    expect(dense.filter((e) => e.ms !== null).map((e) => e.lowering)).toEqual(['chunked', 'doubling']);
  });

  it('a kernel shorter than the input cannot be chunked; short kernels go to the direct Conv', () => {
    const short = facts('diagonal', 4096, { Lk: 8, fullLength: false });
    expect(estimateAll(short, LOWERINGS, p).find((e) => e.lowering === 'chunked')!.note).toMatch(/shorter than the input/);
    expect(chooseLowering(short, LOWERINGS, p).lowering).toBe('direct');
  });

  it('a dynamic length: fourstep is ruled out, the others are planned for L = 2048', () => {
    const estimates = estimateAll(facts('diagonal', 0, { L: null, Lk: null }), LOWERINGS, p);
    expect(estimates.find((e) => e.lowering === 'fourstep')!.note).toBe('the four-step FFT needs a fixed length; compile with --seq-len N');
    expect(estimates.find((e) => e.lowering === 'dft')!.note).toMatch(/planned for L=2048/);
  });

  it('opset and target: a lowering needing an op newer than the opset or missing on the target is out', () => {
    const noConv = { ...ORT_CPU, id: 'no-conv', lacks: ['Conv'] };
    expect(estimateAll(facts('diagonal', 1024), LOWERINGS, { ...p, target: noConv }).find((e) => e.lowering === 'direct')!.note).toBe('no-conv cannot run Conv, which the direct form needs');
  });

  it('the wasm target is slower everywhere and single-threaded: a second thread changes nothing there', () => {
    const one = estimateAll(facts('diagonal', 4096), LOWERINGS, { ...p, target: ORT_WASM });
    const two = estimateAll(facts('diagonal', 4096), LOWERINGS, { ...p, target: ORT_WASM, threads: 2 });
    const cpu = estimateAll(facts('diagonal', 4096), LOWERINGS, p);
    expect(two).toEqual(one);
    one.forEach((e, i) => expect(e.ms!).toBeGreaterThan(cpu[i]!.ms!));
  });
});
