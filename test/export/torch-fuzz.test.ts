import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ZipReader } from '../../export/zip.js';
import { readCheckpoint, Rng, UserError } from 'ssmc';

/**
 * Mutated torch.save files (fixed seed): bit flips and byte changes in the pickle (re-zipped with
 * a fresh CRC, so that the unpickler and the tensor rebuild see them), truncated pickles, and raw
 * mutations of the archive itself. Every outcome is a tensor map or one UserError: never another
 * exception, a hang or an allocation the file does not back.
 */
const FIXTURES = fileURLToPath(new URL('../fixtures/torch/valid/', import.meta.url));
const FILES = ['dplr-lightning.ckpt', 'views.pt', 'dtypes.pt', 'tensor-v3.pt', 'dplr-protocol4.pt'];
const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x28, 0x2e, 0x4a, 0x58, 0x5d, 0x61, 0x63, 0x68, 0x71, 0x72, 0x73, 0x75, 0x81, 0x85, 0x8a, 0x93, 0x94];

function entries(bytes: Uint8Array): Record<string, Uint8Array> {
  const zip = ZipReader.open(bytes, 'fuzz');
  return Object.fromEntries([...zip.entries.keys()].map((n) => [n, zip.read(n).slice()]));
}

function outcome(bytes: Uint8Array): string {
  try {
    const c = readCheckpoint(bytes, 'fuzz.pt');
    return `ok ${c.tensors.size}`;
  } catch (e) {
    if (e instanceof UserError) return 'refused';
    throw e;
  }
}

describe('mutated torch.save files give tensors or one UserError', () => {
  for (const file of FILES) {
    it(file, () => {
      const original = new Uint8Array(readFileSync(`${FIXTURES}${file}`));
      const files = entries(original);
      const pkl = Object.keys(files).find((n) => n.endsWith('/data.pkl'))!;
      const rng = new Rng(7);
      const pick = (n: number) => Math.floor(rng.uniform() * n);
      const counts = new Map<string, number>();
      for (let i = 0; i < 400; i++) {
        const mutated = files[pkl]!.slice();
        const kind = i % 4;
        let body = mutated;
        if (kind === 0) mutated[pick(mutated.length)] ^= 1 << pick(8);
        else if (kind === 1) mutated[pick(mutated.length)] = INTERESTING[pick(INTERESTING.length)]!;
        else if (kind === 2) body = mutated.subarray(0, pick(mutated.length));
        else for (let k = 0; k < 4; k++) mutated[pick(mutated.length)] = pick(256);
        const r = outcome(zipSync({ ...files, [pkl]: [body, { level: 0 }] }));
        counts.set(r.split(' ')[0]!, (counts.get(r.split(' ')[0]!) ?? 0) + 1);
      }
      for (let i = 0; i < 200; i++) {
        const raw = original.slice();
        if (i % 2 === 0) raw[pick(raw.length)] ^= 1 << pick(8);
        const r = outcome(i % 2 === 0 ? raw : raw.subarray(0, pick(raw.length)));
        counts.set(r.split(' ')[0]!, (counts.get(r.split(' ')[0]!) ?? 0) + 1);
      }
      expect(counts.get('refused')).toBeGreaterThan(100);
    });
  }
});
