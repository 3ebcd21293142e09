import type { Model } from '../ir/model.js';
import { isLongConv, readLongConv, type LongConv } from '../ir/ops/long-conv.js';
import type { Value } from '../ir/value.js';
import type { LoweringDecision } from '../passes/conv/select.js';
import type { ArgValues } from './models/args.js';

/**
 * One SSM layer as `ssmc inspect` reports it, stored in the `ssmc.layers` metadata entry (a JSON
 * array). Read from the high-level graph before lowering, where each long convolution is still one
 * LongConv node.
 */
export interface LayerInfo {
  /** The layer's parameter prefix (official state-dict names), e.g. 'layers.0.dss' or 'layer'. */
  name: string;
  /** The LongConv node's name, which the lowering decisions refer to. */
  conv: string;
  /** The architecture the layer belongs to (s4d-minimal, s4-block, dss, gss, gss-lm). */
  family: string;
  /** 'diag-zoh' | 'diag-bilinear' | 'vandermonde' (DSS-exp, GSS) | 'dplr' | 'dss-softmax' | … */
  kernel: string;
  /** The long-convolution lowering chosen (filled after lowering). */
  lowering: string | null;
  H: number | null;
  /** Complex state modes per feature (a conjugate pair counts once where the kernel takes 2·Re). */
  N: number | null;
  /** Output channels of the convolution (C), two sides counted once. */
  channels: number | null;
  bidirectional: boolean;
}

/** The layers of a freshly built (unlowered) model, in graph order. */
export function describeLayers(model: Model, family: string, args: ArgValues): LayerInfo[] {
  return model.graph.nodes.filter(isLongConv).map((node) => {
    const conv = readLongConv(node);
    const params = new Set<string>();
    for (const v of node.inputs.slice(1)) if (v) collectParameterNames(v, params, new Set());
    const H = conv.u.type.shape?.[1];
    const channels = (conv.kernel === 'taps' ? conv.k : conv.kernel === 'diagonal' ? conv.causal.coef : conv.C).type.shape?.[0];
    return {
      name: layerPrefix([...params].sort()) ?? node.name,
      conv: node.name,
      family,
      kernel: kernelKind(conv, args),
      lowering: null,
      H: typeof H === 'number' ? H : null,
      N: statesOf(conv, args),
      channels: typeof channels === 'number' ? channels : null,
      bidirectional: (conv.kernel === 'taps' && conv.kRev !== null) || (conv.kernel === 'diagonal' && conv.reverse !== null),
    };
  });
}

/** Fill each layer's lowering from what select-lowering decided. */
export function withLowerings(layers: LayerInfo[], decisions: readonly LoweringDecision[]): LayerInfo[] {
  return layers.map((l) => ({ ...l, lowering: decisions.find((d) => d.node.name === l.conv)?.lowering ?? null }));
}

function kernelKind(conv: LongConv, args: ArgValues): string {
  if (conv.kernel === 'diagonal') {
    const p = conv.causal.coef.producer;
    return p?.op === 'Discretize' ? `diag-${p.attrString('disc', 'zoh')}` : 'vandermonde';
  }
  if (conv.kernel === 'dense' || args.mode === 'dplr') return 'dplr';
  if (typeof args.version === 'string') return `dss-${args.version}`;
  return 'other';
}

function statesOf(conv: LongConv, args: ArgValues): number | null {
  const modes = conv.kernel === 'diagonal' ? conv.causal.lambda.type.shape?.at(-1) : undefined;
  if (typeof modes === 'number') return modes;
  const dState = args.d_state ?? args.N;
  if (typeof dState === 'number') return args.mode === 'dplr' ? dState / 2 : dState;
  return null;
}

/** Names of the checkpoint parameters a value depends on (initializers with dotted names), not through shapes. */
function collectParameterNames(v: Value, out: Set<string>, seen: Set<Value>): void {
  if (seen.has(v) || seen.size > 10_000) return;
  seen.add(v);
  if (v.constant) {
    if (v.name.includes('.')) out.add(v.name);
    return;
  }
  // Lengths read from the input's shape do not make the input's layers part of this one.
  if (v.producer?.op === 'Shape') return;
  for (const i of v.producer?.inputs ?? []) if (i) collectParameterNames(i, out, seen);
}

/** The longest dotted prefix shared by the parameter names, without a trailing '.kernel'. */
function layerPrefix(names: string[]): string | null {
  if (names.length === 0) return null;
  const parts = names.map((n) => n.split('.').slice(0, -1));
  const common: string[] = [];
  for (let i = 0; i < parts[0]!.length; i++) {
    const p = parts[0]![i]!;
    if (parts.every((q) => q[i] === p)) common.push(p);
    else break;
  }
  if (common.at(-1) === 'kernel') common.pop();
  return common.length > 0 ? common.join('.') : null;
}
