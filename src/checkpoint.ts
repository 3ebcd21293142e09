import type { Tensor } from '../ir/tensor.js';
import { UserError } from './errors.js';
import type { ArchDef, ParamSpec } from './models/arch.js';
import type { ArgValues } from './models/args.js';

/**
 * Match a checkpoint against what the arch expects under its official names: every tensor present,
 * nothing extra, shapes and dtypes exact. Returns the tensors in the arch's order.
 */
export function matchCheckpoint(arch: ArchDef, args: ArgValues, tensors: Map<string, Tensor>, source: string): Map<string, Tensor> {
  const specs = arch.params(args);
  const expected = new Set(specs.map((s) => s.name));
  const missing = specs.filter((s) => !tensors.has(s.name));
  const extra = [...tensors.keys()].filter((k) => !expected.has(k)).sort();
  if (missing.length > 0) {
    const hint = extra.length > 0 ? `; it has other tensors (${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}): is it a checkpoint of another arch, or saved with a prefix?` : '';
    throw new UserError(
      `${source}: missing tensor${missing.length > 1 ? 's' : ''} ${missing.map(describe).join(', ')} required by arch '${arch.id}' (${arch.official}) with these args${hint}`,
    );
  }
  if (extra.length > 0) {
    throw new UserError(
      `${source}: unexpected tensor${extra.length > 1 ? 's' : ''} ${extra.map((e) => `'${e}'`).join(', ')} for arch '${arch.id}' with these args; check that the model file's arch and args match the checkpoint (e.g. "channels", "bidirectional", "mode")`,
    );
  }
  const out = new Map<string, Tensor>();
  for (const spec of specs) {
    const t = tensors.get(spec.name)!;
    if (t.dtype !== spec.dtype) {
      throw new UserError(`${source}: tensor '${spec.name}' has dtype ${t.dtype}, but arch '${arch.id}' needs ${spec.dtype}; save the checkpoint in ${spec.dtype}`);
    }
    if (t.dims.length !== spec.shape.length || t.dims.some((d, i) => d !== spec.shape[i])) {
      throw new UserError(
        `${source}: tensor '${spec.name}' has shape [${t.dims.join(', ')}], but arch '${arch.id}' with these args needs [${spec.shape.join(', ')}]; check "d_model", "d_state" and the other args in the model file`,
      );
    }
    out.set(spec.name, t);
  }
  return out;
}

function describe(s: ParamSpec): string {
  return `'${s.name}' [${s.shape.join(', ')}]`;
}
