import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { createRequire } from 'node:module';

/** The machine a benchmark ran on, for bench-results.json and its report: figures mean little without it. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memory_gib: number;
  os: string;
  arch: string;
  node: string;
  onnxruntime: string;
  /** The 1-minute load average when the run started: these machines are shared. */
  load_avg: number;
}

export function machine(): MachineInfo {
  const list = cpus();
  let ort = 'unknown';
  try {
    ort = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    // the version stays unknown; the figures are still what they are
  }
  return {
    cpu: list[0]?.model.trim() ?? 'unknown', cores: list.length, memory_gib: +(totalmem() / 2 ** 30).toFixed(1),
    os: `${type()} ${release()}`, arch: process.arch, node: process.version, onnxruntime: ort, load_avg: +loadavg()[0]!.toFixed(2),
  };
}
