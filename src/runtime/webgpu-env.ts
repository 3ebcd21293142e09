import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * What onnxruntime-node's WebGPU execution provider needs from the machine, set up where ssmc can
 * and named where it cannot. The provider is Dawn: on Linux it reaches the GPU through Vulkan, so
 * it needs the Vulkan loader (libvulkan.so.1, Debian's `libvulkan1`) and a Vulkan driver (an ICD
 * manifest). A machine without a GPU can still run it on SwiftShader, the CPU Vulkan driver that
 * Chromium ships (Debian's `chromium` installs /usr/lib/chromium/vk_swiftshader_icd.json): the
 * loader is pointed at it with VK_ICD_FILENAMES. Dawn also expects an XDG_RUNTIME_DIR.
 *
 * Environment variables reach Dawn only if they are set before it creates its instance (the first
 * WebGPU session), so `prepareWebGpuEnvironment` runs before that; it changes nothing a user set.
 * macOS (Metal) and Windows (D3D12) need none of this.
 */

export interface WebGpuEnvironment {
  platform: NodeJS.Platform;
  /** Where the Vulkan loader was found, or null (Linux only; other platforms do not use it). */
  vulkanLoader: string | null;
  /** The Vulkan driver manifests the loader will read: the user's, the system's, or SwiftShader's. */
  icds: string[];
  /** Where the ICD list came from. */
  icdSource: 'VK_ICD_FILENAMES' | 'VK_DRIVER_FILES' | 'system' | 'swiftshader' | 'none';
  /** Lines saying what was set up (empty when the environment was already complete). */
  changes: string[];
  /** What is missing, each with its fix; empty when the environment is complete. */
  missing: string[];
}

/** Chromium's SwiftShader Vulkan driver, where Debian and Chrome install it. */
export const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

/** Where the Vulkan loader looks for the system's driver manifests. */
const SYSTEM_ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

const MULTIARCH: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

function loaderDirs(env: NodeJS.ProcessEnv): string[] {
  const arch = MULTIARCH[process.arch];
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
  const multi = arch ? [`/usr/lib/${arch}`, `/lib/${arch}`] : [];
  return [...fromEnv, ...multi, '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function manifestsIn(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)).filter(isFile);
  } catch {
    return [];
  }
}

let prepared: WebGpuEnvironment | null = null;

/**
 * Check, and where possible complete, the environment of this process for onnxruntime's WebGPU
 * provider (once per process; later calls return the first answer). `env` is process.env.
 */
export function prepareWebGpuEnvironment(env: NodeJS.ProcessEnv = process.env): WebGpuEnvironment {
  if (prepared && env === process.env) return prepared;
  const result = inspectAndPrepare(env);
  if (env === process.env) prepared = result;
  return result;
}

function inspectAndPrepare(env: NodeJS.ProcessEnv): WebGpuEnvironment {
  const platform = process.platform;
  const out: WebGpuEnvironment = { platform, vulkanLoader: null, icds: [], icdSource: 'none', changes: [], missing: [] };
  if (platform !== 'linux') return out;

  out.vulkanLoader = loaderDirs(env).map((d) => join(d, 'libvulkan.so.1')).find(isFile) ?? null;
  if (!out.vulkanLoader) out.missing.push('the Vulkan loader (libvulkan.so.1) is not installed: apt-get install libvulkan1');

  const listed = env.VK_ICD_FILENAMES !== undefined ? 'VK_ICD_FILENAMES' : env.VK_DRIVER_FILES !== undefined ? 'VK_DRIVER_FILES' : null;
  if (listed) {
    out.icdSource = listed;
    out.icds = env[listed]!.split(delimiter).filter(Boolean);
    const absent = out.icds.filter((f) => !isFile(f));
    if (absent.length) out.missing.push(`${listed} names Vulkan driver manifests that do not exist: ${absent.join(', ')}; point it at an installed driver's .json or unset it`);
  } else {
    const system = SYSTEM_ICD_DIRS.flatMap(manifestsIn);
    const swiftshader = SWIFTSHADER_ICDS.find(isFile);
    if (system.length) {
      out.icdSource = 'system';
      out.icds = system;
    } else if (swiftshader) {
      out.icdSource = 'swiftshader';
      out.icds = [swiftshader];
      env.VK_ICD_FILENAMES = swiftshader;
      out.changes.push(`no Vulkan driver installed: using Chromium's SwiftShader (VK_ICD_FILENAMES=${swiftshader}), a CPU implementation of the GPU`);
    } else {
      out.missing.push(`no Vulkan driver: none in ${SYSTEM_ICD_DIRS.join(', ')} and no SwiftShader from Chromium (${SWIFTSHADER_ICDS[0]}); install a GPU's Vulkan driver, or apt-get install chromium for SwiftShader (a CPU stand-in), or set VK_ICD_FILENAMES`);
    }
  }

  if (!env.XDG_RUNTIME_DIR || !existsSync(env.XDG_RUNTIME_DIR)) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
    const dir = join(tmpdir(), `ssmc-xdg-runtime-${uid}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    env.XDG_RUNTIME_DIR = dir;
    out.changes.push(`XDG_RUNTIME_DIR was unset: using ${dir}`);
  }
  return out;
}

/** One sentence on the environment, for messages about a WebGPU failure. */
export function describeWebGpuEnvironment(e: WebGpuEnvironment): string {
  if (e.platform !== 'linux') return `platform ${e.platform}`;
  const loader = e.vulkanLoader ? `Vulkan loader ${e.vulkanLoader}` : 'no Vulkan loader';
  const icds = e.icds.length ? `driver manifest${e.icds.length > 1 ? 's' : ''} ${e.icds.join(', ')} (${e.icdSource === 'swiftshader' ? 'SwiftShader, set by ssmc' : e.icdSource})` : 'no Vulkan driver';
  return `${loader}, ${icds}`;
}
