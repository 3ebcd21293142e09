import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareToReference, describeComparison, readSafetensors, writeSafetensors } from 'ssmc';
import type { Tensor } from 'ssmc/ir';
import { goldenCase, goldenIo, modelFileFor, GOLDEN_DIR } from '../helpers/golden.js';
import { CLI, postJson, postRaw, serve } from './harness.js';

/**
 * The Open Inference Protocol v2 REST API over real HTTP on golden cases: what `/infer` returns
 * is bit for bit what `ssmc run` writes for the same compiled model and input, in JSON and in
 * Triton's binary tensor data extension.
 */

const ssmc = (args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssmc ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
};

const V2_TYPE: Record<string, string> = { float32: 'FP32', int64: 'INT64' };

describe('ssmc serve: the v2 inference API on golden cases equals ssmc run', () => {
  it.each(['s4d_lin_zoh', 's4_dplr_legs', 'gss_lm'])('%s', async (name) => {
    const c = goldenCase(name);
    const dir = mkdtempSync(join(tmpdir(), 'ssmc-v2-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelFileFor(c)));
    ssmc(['compile', join(dir, 'model.json'), '--weights', `${GOLDEN_DIR}${name}.weights.safetensors`, '-o', join(dir, `${name}.onnx`)]);
    const input = goldenIo(c).get(c.input.key)!;
    writeFileSync(join(dir, 'in.safetensors'), writeSafetensors(new Map([['input', input]])));
    ssmc(['run', join(dir, `${name}.onnx`), '--inputs', join(dir, 'in.safetensors'), '-o', join(dir, 'out.safetensors'), '--threads', '1']);
    const expected = readSafetensors(new Uint8Array(readFileSync(join(dir, 'out.safetensors'))), 'out').get('output')!;

    const s = await serve([join(dir, `${name}.onnx`), '--threads', '1']);
    try {
      // Health, server and model metadata as the protocol defines them.
      expect((await fetch(`${s.url}/v2/health/live`)).status).toBe(200);
      expect((await fetch(`${s.url}/v2/health/ready`)).status).toBe(200);
      expect(await (await fetch(`${s.url}/v2/models/${name}/ready`)).json()).toEqual({ name, ready: true });
      expect(await (await fetch(`${s.url}/v2`)).json()).toMatchObject({ name: 'ssmc', extensions: ['binary_tensor_data'] });
      const meta = await (await fetch(`${s.url}/v2/models/${name}`)).json();
      expect(meta).toMatchObject({ name, versions: ['1'], platform: 'onnx_onnxv1' });
      // Batch and length are symbolic (-1); the feature dims are fixed.
      expect(meta.inputs).toEqual([{ name: 'input', datatype: V2_TYPE[input.dtype], shape: input.dims.map((d, i) => (i === 0 || c.input.layout[i] === 'L' ? -1 : d)) }]);
      expect(meta.outputs[0]).toMatchObject({ name: 'output', datatype: 'FP32' });

      // JSON, data nested as the tensor's shape.
      const data = Array.from(input.data as ArrayLike<number | bigint>, Number);
      const r = await postJson(`${s.url}/v2/models/${name}/infer`, {
        id: 'golden-1',
        inputs: [{ name: 'input', shape: input.dims, datatype: V2_TYPE[input.dtype], data: nest(data, input.dims) }],
        outputs: [{ name: 'output' }],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json).toMatchObject({ model_name: name, model_version: '1', id: 'golden-1' });
      const out = r.json.outputs[0];
      expect(out).toMatchObject({ name: 'output', datatype: 'FP32', shape: expected.dims });
      expect(Float32Array.from(out.data)).toEqual(expected.data);

      // Binary in and out (what tritonclient sends by default), no content type.
      const raw = bytesOf(input);
      const head = JSON.stringify({ inputs: [{ name: 'input', shape: input.dims, datatype: V2_TYPE[input.dtype], parameters: { binary_data_size: raw.byteLength } }], parameters: { binary_data_output: true } });
      const b = await postRaw(`${s.url}/v2/models/${name}/infer`, Buffer.concat([Buffer.from(head), raw]), { 'inference-header-content-length': String(Buffer.byteLength(head)) });
      expect(b.status, b.body).toBe(200);
      const n = Number(b.headers['inference-header-content-length']);
      const bhead = JSON.parse(b.bytes.subarray(0, n).toString('utf8'));
      expect(bhead.outputs).toEqual([{ name: 'output', datatype: 'FP32', shape: expected.dims, parameters: { binary_data_size: 4 * (expected.data as Float32Array).length } }]);
      const bin = b.bytes.subarray(n);
      expect(new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength))).toEqual(expected.data);
    } finally {
      expect(await s.stop()).toBe(0);
    }

    // The served model equals the official float64 output as `ssmc run` does (the comparison is not vacuous).
    const cmp = compareToReference(expected.data as Float32Array, goldenIo(c).get('output_f64')!.data as Float32Array);
    expect(cmp.ok, describeComparison('ssmc run vs official float64', cmp)).toBe(true);
  }, 120_000);
});

function nest(flat: number[], dims: readonly number[]): unknown[] {
  if (dims.length <= 1) return flat;
  const inner = dims.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: dims[0]! }, (_, i) => nest(flat.slice(i * inner, (i + 1) * inner), dims.slice(1)));
}

function bytesOf(t: Tensor): Buffer {
  const d = t.data as Float32Array | BigInt64Array;
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}
