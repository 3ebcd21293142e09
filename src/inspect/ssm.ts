import type { Model } from '../../ir/model.js';
import { SSMC_DOMAIN, type Node } from '../../ir/node.js';
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
  layers: SsmLayer[];
  /** Where the layer list came from: the `ssmc.layers` metadata, or the ai.ssmc nodes of the graph. */
  source: 'metadata' | 'graph' | 'none';
  /** State tensors that no layer claims (older files without `ssmc.layers`). */
  states: { input: string | null; output: string; shape: (number | string)[] }[];
  problems: string[];
}

type Json = unknown;

function parseJson(text: string | undefined, key: string, problems: string[]): Json {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    problems.push(`metadata '${key}' is not valid JSON (${(e as Error).message}); ignored`);
    return undefined;
  }
}

const str = (x: unknown) => (typeof x === 'string' ? x : null);
const int = (x: unknown) => (typeof x === 'number' && Number.isInteger(x) ? x : null);

/** Read the `ssmc.states` entries: [{ input, output, shape, dtype, meaning }]. */
function readStates(model: Model, problems: string[]): SsmSummary['states'] {
  const raw = parseJson(model.metadata.get('ssmc.states'), 'ssmc.states', problems);
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    problems.push("metadata 'ssmc.states' is not a JSON array; ignored");
    return [];
  }
  return raw.flatMap((s: Json, i) => {
    const e = s as Record<string, unknown> | null;
    const output = str(e?.output);
    const shape = Array.isArray(e?.shape) ? e.shape.filter((d): d is number | string => typeof d === 'number' || typeof d === 'string') : [];
    if (output === null) {
      problems.push(`metadata 'ssmc.states'[${i}] has no string 'output'; ignored`);
      return [];
    }
    return [{ input: str(e?.input), output, shape }];
  });
}

/** Read the `ssmc.layers` entries (see src/layer-metadata.ts LayerInfo). */
function readLayers(model: Model, problems: string[]): SsmLayer[] | null {
  const raw = parseJson(model.metadata.get('ssmc.layers'), 'ssmc.layers', problems);
  if (raw === undefined) return null;
  if (!Array.isArray(raw)) {
    problems.push("metadata 'ssmc.layers' is not a JSON array; ignored");
    return null;
  }
  return raw.flatMap((l: Json, i) => {
    const e = l as Record<string, unknown> | null;
    const name = str(e?.name);
    if (name === null) {
      problems.push(`metadata 'ssmc.layers'[${i}] has no string 'name'; ignored`);
      return [];
    }
    return [{
      name, family: str(e?.family), kernel: str(e?.kernel), lowering: str(e?.lowering), H: int(e?.H), N: int(e?.N),
      channels: int(e?.channels), bidirectional: typeof e?.bidirectional === 'boolean' ? e.bidirectional : null, state: null,
    }];
  });
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
  const problems: string[] = [];
  const meta = (k: string) => model.metadata.get(k) ?? null;
  const madeBySsmc = model.producerName === 'ssmc' || [...model.metadata.keys()].some((k) => k.startsWith('ssmc.'));
  const fromMeta = readLayers(model, problems);
  const layers = fromMeta ?? layersFromGraph(model);
  const states = readStates(model, problems);
  const unclaimed = states.filter((s) => {
    // State tensors are named state_out.<name>, where <name> is the layer's name or a prefix of it
    // ('layers.0' for the SSM 'layers.0.dss'): claim it when exactly one layer fits.
    const key = s.output.replace(/^state_out\./, '');
    const fits = layers.filter((l) => l.name === key || l.name.startsWith(`${key}.`) || key.startsWith(`${l.name}.`));
    if (fits.length === 1 && !fits[0]!.state) fits[0]!.state = s;
    return fits.length !== 1 || fits[0]!.state !== s;
  });
  return {
    madeBySsmc,
    arch: meta('ssmc.arch'),
    official: meta('ssmc.official'),
    mode: meta('ssmc.mode'),
    seqLen: meta('ssmc.seq_len'),
    layers,
    source: fromMeta ? 'metadata' : layers.length > 0 ? 'graph' : 'none',
    states: unclaimed,
    problems,
  };
}
