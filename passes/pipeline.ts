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
import type { Pass } from './pass.js';
import { selectLoweringPass } from './select-lowering.js';

/**
 * The whole lowering pipeline, top to bottom. Each step is one named pass; the IR verifier runs
 * after every step that changed the model, so a broken invariant is reported by the pass that broke it.
 */
export function defaultPipeline(): Pass<unknown>[] {
  // What a custom op's body goes through: the lowering passes after outlining, up to sealing.
  const lowering: Pass<unknown>[] = [
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
  ];
  return [
    lowerSsmKernelPass, // DiagSSMKernel → ZOH/bilinear discretisation in complex ops + Vandermonde
    selectLoweringPass, // tag each FFTConv with dft | fourstep | chunked | direct (--lowering or the cost model)
    outlineCustomOpsPass(lowering), // --custom-ops: high-level ops → ai.ssmc calls of functions whose bodies `lowering` builds
    ...lowering,
    sealCustomOpsPass, // --custom-ops: the calls take their final domain ai.ssmc
  ];
}
