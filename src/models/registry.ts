import { UserError } from '../errors.js';
import type { Arch } from './arch.js';
import { dss } from './dss.js';
import { gss } from './gss.js';
import { gssHybridLm } from './gss-hybrid-lm.js';
import { gssLm } from './gss-lm.js';
import { gssDsconv, gssDsconvLm } from './gss-variants/dsconv.js';
import { gssMhesa, gssMhesaLm } from './gss-variants/mhesa.js';
import { s4Block } from './s4-block.js';
import { s4dMinimal } from './s4d-minimal.js';
import { s4Example } from './sequence/s4-example.js';
import { s4Sequence } from './sequence/s4-sequence.js';

/** Every supported official module, by the arch id used in model files. */
export const ARCHS: readonly Arch[] = [s4dMinimal, s4Block, dss, gss, gssLm, gssMhesa, gssMhesaLm, gssDsconv, gssDsconvLm, gssHybridLm, s4Example, s4Sequence];

export function archIds(archs: readonly Arch[] = ARCHS): string[] {
  return archs.map((a) => a.id);
}

export function findArch(id: unknown, archs: readonly Arch[] = ARCHS): Arch {
  if (typeof id !== 'string') {
    throw new UserError(`model file: "arch" must be a string naming the module; supported: ${archIds(archs).join(', ')}`);
  }
  const arch = archs.find((a) => a.id === id);
  if (!arch) throw new UserError(`model file: unknown arch "${id}"; supported: ${archIds(archs).join(', ')}`);
  return arch;
}
