import type { Model } from '../../ir/model.js';
import { SSMC_DOMAIN, type Node } from '../../ir/node.js';
import { METADATA_KEYS, readMetadata } from '../metadata.js';
import { allGraphs } from './walk.js';

/** One SSM layer of a model ssmc made. */
export interface SsmLayer {
  name: string;
  family: string | null;
  /** 'diag-zoh' | 'diag-bilinear' | 'vandermonde' | 'dplr' | 'dss-softmax' | … */
  kernel: string | null;
  /** 'dft' | 'fourstep' | 'chunked' | 'direct', or null when not lowered (or not recorded). */
  lowering: string | null;
  H: number | null;
  N: number | null;
  channels: number | null;
  bidirectional: boolean | null;
  /** The step/prefill state tensors of this layer, when the graph carries them. */
  state: { input: string | null; output: string; shape: (number | string)[] } | null;
}

export interface SsmSummary {
  /** True when the file says ssmc made it (producer name or ssmc.* metadata). */
  madeBySsmc: boolean;
  arch: string | null;
  official: string | null;
  mode: string | null;
  seqLen: string | null;
  /** fp32, fp16 or bf16 (`ssmc.precision`): how its weights are stored and whether it computes in float16; null when the file does not say. */
  precision: string | null;
  layers: SsmLayer[];
  /** Where the layer list came from: the `ssmc.layers` metadata, or the ai.ssmc nodes of the graph. */
  source: 'metadata' | 'graph' | 'none';
  /** State tensors that no layer claims (older files without `ssmc.layers`). */
  states: { input: string | null; output: string; shape: (number | string)[] }[];
  problems: string[];
}

/** The long-convolution ops: LongConv in an unlowered graph, and the --custom-ops calls (ir/ssm-ops.ts). */
const CONV_OPS = ['LongConv', 'LongConvBidirectional', 'DiagSSMConv', 'DiagSSMConvBidirectional', 'DenseSSMConv'];

/** A bidirectional call, or a LongConv with an anti-causal kernel (taps: input 2; diagonal: input 4). */
function isBidirectional(n: Node): boolean {
  if (n.op.endsWith('Bidirectional')) return true;
  if (n.op !== 'LongConv') return false;
  const kernel = n.attrs.get('kernel');
  const form = kernel?.kind === 'string' ? kernel.value : 'taps';
  return form === 'taps' ? n.inputs[2] != null : form === 'diagonal' ? n.inputs[4] != null : false;
}

/** Without metadata: the long convolutions of an unlowered graph, or calls of ai.ssmc functions. */
function layersFromGraph(model: Model): SsmLayer[] {
  const out: SsmLayer[] = [];
  for (const site of allGraphs(model)) {
    if (site.kind === 'function') continue;
    for (const n of site.graph.nodes) {
      if (n.domain !== SSMC_DOMAIN || !CONV_OPS.includes(n.op)) continue;
      const lowering = n.attrs.get('lowering');
      const u = n.inputs[0]?.type.shape, y = n.outputs[0]?.type.shape;
      const num = (d: unknown) => (typeof d === 'number' ? d : null);
      out.push({
        name: n.name, family: null, kernel: null, lowering: lowering?.kind === 'string' ? lowering.value : null,
        H: num(u?.[1]), N: null, channels: num(y?.[1]), bidirectional: isBidirectional(n), state: null,
      });
    }
  }
  return out;
}

/** The SSM layers ssmc recorded in (or left visible in) a model. */
export function recogniseSsm(model: Model): SsmSummary {
  const { meta, problems } = readMetadata(model);
  const madeBySsmc = model.producerName === 'ssmc' || [...model.metadata.keys()].some((k) => k.startsWith('ssmc.'));
  const fromMeta = meta.layers?.map((l): SsmLayer => ({ ...l, state: null })) ?? null;
  const layers = fromMeta ?? layersFromGraph(model);
  const states = (meta.states ?? []).map((s) => ({ input: s.input, output: s.output, shape: s.shape }));
  const unclaimed = states.filter((s) => {
    // State tensors are named state_out.<name>, where <name> is the layer's name or a prefix of it
    // ('layers.0' for the SSM 'layers.0.dss'): claim it when exactly one layer fits.
    const key = s.output.replace(/^state_out\./, '');
    const fits = layers.filter((l) => l.name === key || l.name.startsWith(`${key}.`) || key.startsWith(`${l.name}.`));
    if (fits.length === 1 && !fits[0]!.state) fits[0]!.state = s;
    return fits.length !== 1 || fits[0]!.state !== s;
  });
  const raw = (k: string) => model.metadata.get(k) ?? null;
  return {
    madeBySsmc,
    arch: meta.arch ?? null,
    official: meta.official ?? null,
    mode: raw(METADATA_KEYS.mode),
    seqLen: raw(METADATA_KEYS.seqLen),
    precision: meta.precision ?? null,
    layers,
    source: fromMeta ? 'metadata' : layers.length > 0 ? 'graph' : 'none',
    states: unclaimed,
    problems,
  };
}
