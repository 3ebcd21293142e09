import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import type { BackendName } from './backend.js';
import { prepareBackend } from './select.js';

/**
 * Where onnxruntime puts each node of a graph: read from its own log. When a session is created,
 * onnxruntime partitions the graph between the execution providers, inserts a MemcpyFromHost /
 * MemcpyToHost node wherever a value crosses between the CPU and the device, and logs (at verbose
 * severity) "Node placements" with the nodes each provider got — for the main graph and for every
 * subgraph. onnxruntime-node offers no API for this, and its log goes to the native stderr of the
 * process, so the session is created in a child process whose stderr is read here.
 */

export interface PlacedNode {
  /** The execution provider ('WebGpuExecutionProvider', 'CPUExecutionProvider'). */
  provider: string;
  op: string;
  name: string;
}

export interface Placement {
  /** How many nodes each provider got, per graph (main graph and subgraphs), in log order. */
  groups: { provider: string; count: number }[];
  /** The nodes onnxruntime names: it lists them where a graph is split between providers, not where one takes all. */
  nodes: PlacedNode[];
  /** The copies onnxruntime inserted between the CPU and the device, as it logs them ('Add MemcpyFromHost after cast …'). */
  copies: string[];
}

/** The CPU execution provider's name in onnxruntime's log. */
export const CPU_PROVIDER = 'CPUExecutionProvider';

/**
 * Integer shape arithmetic that onnxruntime keeps on the CPU on purpose (its inputs come from
 * Shape and its outputs feed inputs a device kernel reads from host memory: Reshape's shape,
 * Slice's ends, Pad's pads). Such a node costs no copy; any other node on the CPU does.
 */
const SHAPE_ARITHMETIC = new Set(['Shape', 'Size', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Reshape', 'Add', 'Sub', 'Mul', 'Div', 'Mod', 'Min', 'Max', 'Neg', 'Cast', 'Range', 'Equal', 'Where', 'ConstantOfShape', 'Expand', 'Identity', 'ReduceProd', 'Less', 'Greater', 'Not', 'Abs', 'Ceil', 'Floor', 'ReduceSum']);

/** Control flow: onnxruntime's device providers run it on the CPU, the body on the device, with copies each iteration. */
const CONTROL_FLOW = new Set(['Scan', 'Loop', 'If']);

/** What makes a graph fall back to the CPU, one line each (empty when it runs on the device alone). */
export function placementProblems(p: Placement): string[] {
  const problems: string[] = [];
  for (const g of p.groups) if (g.provider === CPU_PROVIDER && !p.groups.some((o) => o.provider !== CPU_PROVIDER)) problems.push(`all ${g.count} nodes run on the CPU`);
  for (const n of p.nodes) {
    if (CONTROL_FLOW.has(n.op)) problems.push(`${n.op} '${n.name}' on ${n.provider}: control flow runs its loop on the CPU and copies its state to the device and back every iteration`);
    else if (n.provider === CPU_PROVIDER && !SHAPE_ARITHMETIC.has(n.op)) problems.push(`${n.op} '${n.name}' falls back to the CPU (no device kernel for it here)`);
  }
  for (const c of p.copies) problems.push(`a copy between the CPU and the device: ${c}`);
  return problems;
}

/** One line per provider: how many nodes it got, and the copies. */
export function summarizePlacement(p: Placement): string {
  const by = new Map<string, number>();
  for (const g of p.groups) by.set(g.provider, (by.get(g.provider) ?? 0) + g.count);
  const parts = [...by].map(([provider, count]) => `${count} on ${provider.replace(/ExecutionProvider$/, '')}`);
  return `${parts.join(', ') || 'no nodes'}; ${p.copies.length} cop${p.copies.length === 1 ? 'y' : 'ies'} between CPU and device`;
}

/** The placement block(s) and Memcpy insertions of onnxruntime's verbose session log. */
export function parsePlacementLog(log: string): Placement {
  const groups: Placement['groups'] = [];
  const nodes: PlacedNode[] = [];
  const copies: string[] = [];
  let provider: string | null = null;
  for (const line of log.split('\n')) {
    const text = line.replace(/^.*?\] /, ''); // drop "timestamp [V:onnxruntime:, file:line Function] "
    const copy = /^(Add Memcpy\w+ (?:after|before) \S+)/.exec(text);
    if (copy) {
      copies.push(copy[1]!);
      continue;
    }
    if (/^Node placements/.test(text)) {
      provider = null;
      continue;
    }
    const header = /^\s*(?:All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(text);
    if (header) {
      provider = header[1]!;
      groups.push({ provider, count: Number(header[2]) });
      continue;
    }
    const node = provider && /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S+) \(([^)]*)\)\s*$/.exec(line);
    if (node) nodes.push({ provider: provider!, op: node[1]!, name: node[2]! });
    else if (!/VerifyEachNodeIsAssignedToAnEp/.test(line)) provider = null;
  }
  return { groups, nodes, copies };
}

const PROVIDERS: Partial<Record<BackendName, string>> = { node: 'cpu', webgpu: 'webgpu' };

/**
 * Create a session for `modelBytes` on `backend` (onnxruntime-node: 'node' or 'webgpu') in a child
 * process with verbose logging, and read the placement from its log. The child only loads the
 * model: nothing runs.
 */
export async function readPlacement(modelBytes: Uint8Array, backend: BackendName = 'webgpu'): Promise<Placement> {
  const provider = PROVIDERS[backend];
  if (!provider) throw new UserError(`node placement is read from onnxruntime-node; backend '${backend}' is not one of its providers`);
  await prepareBackend(backend);
  const dir = mkdtempSync(join(tmpdir(), 'ssmc-placement-'));
  try {
    const path = join(dir, 'model.onnx');
    writeFileSync(path, modelBytes);
    const ort = pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href;
    // All nodes' placements are logged by the session's own logger (severity 0 = verbose).
    const script = `const ort = await import(${JSON.stringify(ort)});
const { readFileSync } = await import('node:fs');
const s = await ort.InferenceSession.create(readFileSync(${JSON.stringify(path)}), { executionProviders: [${JSON.stringify(provider)}], logSeverityLevel: 0, logVerbosityLevel: 0 });
await s.release();`;
    const { code, stderr, stdout } = await new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '', out = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stderr: err, stdout: out }));
    });
    const log = `${stdout}\n${stderr}`;
    if (code !== 0) throw new Error(`onnxruntime could not create a ${backend} session to read its placement: ${log.split('\n').filter((l) => /Error|error/.test(l)).slice(-3).join(' ') || `exit code ${code}`}`);
    const placement = parsePlacementLog(log);
    if (placement.groups.length === 0) throw new Error('onnxruntime logged no node placement (its verbose log format may have changed)');
    return placement;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
