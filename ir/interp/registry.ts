import { ONNX_DOMAIN, SSMC_DOMAIN } from '../node.js';
import type { Kernel } from './kernel.js';
import { dftKernel } from './ops/dft.js';
import { ELEMENTWISE_KERNELS } from './ops/elementwise.js';
import { LINALG_KERNELS } from './ops/linalg.js';
import { NN_KERNELS } from './ops/nn.js';
import { SHAPE_KERNELS } from './ops/shape.js';
import { SSM_KERNELS } from './ops/ssm.js';
import { MORE_ONNX_KERNELS } from './more-kernels.js';

/** The interpreter's kernels by domain and op; registering one twice is a bug. */
export class KernelRegistry {
  private readonly kernels = new Map<string, Kernel>();

  register(domain: string, op: string, k: Kernel): void {
    const key = `${domain}::${op}`;
    if (this.kernels.has(key)) throw new Error(`internal: kernel ${domain || 'ai.onnx'}.${op} registered twice`);
    this.kernels.set(key, k);
  }

  registerAll(domain: string, table: Record<string, Kernel>): void {
    for (const [op, k] of Object.entries(table)) this.register(domain, op, k);
  }

  find(domain: string, op: string): Kernel | undefined {
    return this.kernels.get(`${domain === 'ai.onnx' ? ONNX_DOMAIN : domain}::${op}`);
  }

  available(domain: string): string[] {
    const prefix = `${domain}::`;
    return [...this.kernels.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
  }
}

export const KERNELS = new KernelRegistry();
// MORE_ONNX_KERNELS comes last: its any-axis Softmax, LogSoftmax and ArgMax replace the last-axis ones.
KERNELS.registerAll(ONNX_DOMAIN, { ...ELEMENTWISE_KERNELS, ...SHAPE_KERNELS, ...LINALG_KERNELS, ...NN_KERNELS, DFT: dftKernel, ...MORE_ONNX_KERNELS });
KERNELS.registerAll(SSMC_DOMAIN, SSM_KERNELS);
