import { looksLikeZip } from './zip.js';

/**
 * What a checkpoint file is, from its first bytes (never from its extension: `.pt`, `.pth`, `.ckpt`
 * and `.bin` are all used for every format):
 * - `safetensors`: an 8-byte little-endian header length, then a JSON header starting with `{`;
 * - `torch-zip`: a zip archive (torch.save since PyTorch 1.6);
 * - `torch-legacy`: torch.save's old format (a pickle that starts with its magic number, or a tar archive);
 * - `pickle`: some other bare pickle (pickle.dump);
 * - `unknown`: none of these.
 */
export type CheckpointKind = 'safetensors' | 'torch-zip' | 'torch-legacy' | 'pickle' | 'unknown';

/** torch.save's legacy magic number 0x1950a86a20f9469cfc6c as the pickle's LONG1 opcode writes it. */
const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

export function sniffCheckpoint(bytes: Uint8Array): CheckpointKind {
  if (looksLikeZip(bytes)) return 'torch-zip';
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! >= 2 && bytes[1]! <= 5) {
    return LEGACY_MAGIC.every((b, i) => bytes[2 + i] === b) ? 'torch-legacy' : 'pickle';
  }
  if (bytes.length >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') return 'torch-legacy';
  if (bytes.length >= 9 && bytes[8] === 0x7b) {
    // A safetensors header length is a u64 whose upper bytes are zero for any real file.
    const high = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(4, true);
    if (high === 0) return 'safetensors';
  }
  return 'unknown';
}
