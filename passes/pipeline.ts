import type { Model } from '../ir/model.js';
import { printModel } from '../ir/printer.js';
import { verifyModel } from '../ir/verifier.js';
import { csePass } from './cse.js';
import { dcePass } from './dce.js';
import { foldConstantsPass } from './fold-constants.js';
import { lowerComplexPass } from './lower-complex.js';
import { lowerDiagStepPass } from './lower-diag-step.js';
import { lowerFftConvChunkedPass } from './lower-fftconv-chunked.js';
import { lowerFftConvDftPass } from './lower-fftconv-dft.js';
import { lowerFftConvDirectPass } from './lower-fftconv-direct.js';
import { lowerFftConvFourstepPass } from './lower-fftconv-fourstep.js';
import { lowerSsmKernelPass } from './lower-ssm-kernel.js';
import { lowerVandermondePass } from './lower-vandermonde.js';
import { outlineCustomOpsPass, sealCustomOpsPass } from './outline-custom-ops.js';
import { PassError, type CompileTarget, type Pass } from './pass.js';
import { selectLoweringPass } from './select-lowering.js';

/**
 * The whole lowering pipeline, top to bottom. Each step is one named pass; the IR verifier runs
 * after every step, so a broken invariant is reported by the pass that broke it.
 */
export function defaultPipeline(): Pass[] {
  return [
    lowerSsmKernelPass, // DiagSSMKernel → ZOH/bilinear discretisation in complex ops + Vandermonde
    selectLoweringPass, // tag each FFTConv with dft | fourstep | chunked | direct (--lowering or the cost model)
    outlineCustomOpsPass, // --custom-ops: high-level ops → ai.ssmc calls of functions whose bodies the passes below build
    lowerDiagStepPass, // DiagSSMStep (step graphs) → exp(λ)·x + u and the coefficient sum in complex ops
    lowerFftConvChunkedPass, // diagonal-SSM convolutions → chunked state passing (reads the Vandermonde form)
    lowerVandermondePass, // Vandermonde → complex Exp/MatMul over positions 0..L−1
    lowerFftConvFourstepPass, // fixed length → four-step FFT as batched MatMuls (spectrum in permuted order)
    lowerFftConvDirectPass, // short kernels → depthwise Conv
    lowerFftConvDftPass, // FFTConv → pad, rfft (DFT), complex product, inverse DFT, slice
    lowerComplexPass, // every complex64 value → a (re, im) pair of float32 tensors
    foldConstantsPass, // fixed L: the whole kernel and its spectrum become initializers
    csePass, // merge identical nodes and identical constants
    dcePass, // drop what no output needs
    sealCustomOpsPass, // --custom-ops: the calls take their final domain ai.ssmc
  ];
}

export interface RunOptions {
  /** Print the IR text after the pass of this name (repeatable: a list). */
  printAfter?: string[];
  /** Where printed IR goes. */
  print?: (text: string) => void;
  /** Run the verifier after every pass (default true). */
  verify?: boolean;
}

export function findPass(passes: Pass[], name: string): Pass {
  const p = passes.find((x) => x.name === name);
  if (!p) throw new Error(`unknown pass '${name}'; the pipeline has: ${passes.map((x) => x.name).join(', ')}`);
  return p;
}

export function runPipeline(model: Model, target: CompileTarget, passes: Pass[], opts: RunOptions = {}): void {
  const done: string[] = [];
  for (const name of opts.printAfter ?? []) findPass(passes, name);
  for (const pass of passes) {
    const why = pass.requires?.(model, target) ?? null;
    if (why) throw new PassError(pass.name, done, `precondition failed: ${why}`);
    try {
      pass.run(model, target);
    } catch (e) {
      if (e instanceof PassError) throw e;
      throw new PassError(pass.name, done, (e as Error).message, { cause: e });
    }
    const broken = pass.ensures?.(model, target) ?? null;
    if (broken) throw new PassError(pass.name, done, `postcondition failed: ${broken}`);
    if (opts.verify !== false) {
      try {
        verifyModel(model, { checkOpsets: true, noComplex: done.includes('lower-complex') || pass.name === 'lower-complex' });
      } catch (e) {
        throw new PassError(pass.name, done, (e as Error).message, { cause: e });
      }
    }
    done.push(pass.name);
    if (opts.printAfter?.includes(pass.name)) (opts.print ?? console.log)(`// IR after ${pass.name}\n${printModel(model)}`);
  }
}
