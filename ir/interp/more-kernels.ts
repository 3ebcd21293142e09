import type { Kernel } from './kernel.js';
import { argMaxKernel } from './ops/arg-max.js';
import { argMinKernel } from './ops/arg-min.js';
import { convKernel } from './ops/conv.js';
import { cumSumKernel } from './ops/cum-sum.js';
import { gatherElementsKernel } from './ops/gather-elements.js';
import { ifKernel } from './ops/if.js';
import { logSoftmaxKernel } from './ops/log-softmax.js';
import { loopKernel } from './ops/loop.js';
import { scanKernel } from './ops/scan.js';
import { softmaxKernel } from './ops/softmax.js';
import { topKKernel } from './ops/top-k.js';

/**
 * Default-domain kernels written after registry.ts: control flow (Scan, Loop, If), Conv, CumSum,
 * GatherElements, TopK, ArgMin, and any-axis forms of Softmax, LogSoftmax and ArgMax that
 * replace the last-axis-only ones in ops/nn.ts. Registered by spreading this table last into the
 * default-domain table of registry.ts, so that its keys win.
 */
export const MORE_ONNX_KERNELS: Readonly<Record<string, Kernel>> = {
  ArgMax: argMaxKernel,
  ArgMin: argMinKernel,
  Conv: convKernel,
  CumSum: cumSumKernel,
  GatherElements: gatherElementsKernel,
  If: ifKernel,
  LogSoftmax: logSoftmaxKernel,
  Loop: loopKernel,
  Scan: scanKernel,
  Softmax: softmaxKernel,
  TopK: topKKernel,
};
