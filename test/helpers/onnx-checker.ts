import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * ONNX's own checker (Debian's python3-onnx, run by /usr/bin/python3 through tools/onnx_check.py):
 * `check_model(full_check=True)` and strict shape inference, one child process for many files.
 */

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../tools/onnx_check.py', import.meta.url));

export interface CheckResult {
  path: string;
  ok: boolean;
  stage: 'load' | 'check_model' | 'infer_shapes' | null;
  error: string | null;
}

let version: { onnx: string; max_opset: number } | null | undefined;

/** The installed onnx package's version and newest opset, or null when python3-onnx is missing. */
export function onnxCheckerVersion(): { onnx: string; max_opset: number } | null {
  if (version !== undefined) return version;
  if (!existsSync(PYTHON)) return (version = null);
  const r = spawnSync(PYTHON, [SCRIPT, '--version'], { encoding: 'utf8' });
  version = r.status === 0 ? (JSON.parse(r.stdout) as { onnx: string; max_opset: number }) : null;
  return version;
}

/** Whether tests that need the checker run: they do when it is installed, and under CI (CI set) they run and fail when it is not. */
export function checkerTestsRun(what: string): boolean {
  if (onnxCheckerVersion() || process.env.CI) return true;
  console.warn(`${what} skipped: ${PYTHON} cannot import onnx (install Debian's python3-onnx: apt-get install -y python3-onnx); in CI (CI set) it runs and fails instead`);
  return false;
}

/** Check every file in one child process; the answer is keyed by path. */
export function checkOnnxFiles(paths: readonly string[]): Map<string, CheckResult> {
  if (!onnxCheckerVersion()) throw new Error(`${PYTHON} with python3-onnx is needed to run ONNX's checker (apt-get install -y python3-onnx)`);
  const r = spawnSync(PYTHON, [SCRIPT], { input: paths.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tools/onnx_check.py failed (${r.status}): ${r.stderr}`);
  const out = new Map<string, CheckResult>();
  for (const line of r.stdout.split('\n')) if (line.trim()) {
    const res = JSON.parse(line) as CheckResult;
    out.set(res.path, res);
  }
  return out;
}
