import { prepareWebGpuEnvironment } from 'ssmc/runtime';

/**
 * Whether the WebGPU tests run: they do when this machine has what onnxruntime-node's WebGPU
 * provider needs (the Vulkan loader and a driver, SwiftShader from Debian's chromium at least), and
 * under CI (CI set) they run and fail when it does not — CI installs libvulkan1 and chromium.
 */
export function webgpuTestsRun(what: string): boolean {
  const env = prepareWebGpuEnvironment();
  if (env.missing.length === 0 || process.env.CI) return true;
  console.warn(`${what} skipped: ${env.missing.join('; ')}; in CI (CI set) it runs and fails instead`);
  return false;
}
