import { Graph } from './graph.js';

/** A model-local function (ONNX FunctionProto): a custom op carrying its own ONNX body. */
export interface FunctionDef {
  domain: string;
  name: string;
  /** The body's graph: its inputs and outputs are the formal parameters, in order. */
  body: Graph;
  /** Attribute names the body may refer to. */
  attributes: string[];
  opsetImports: Map<string, number>;
  docString: string;
}

export class Model {
  graph: Graph;
  irVersion: number;
  readonly opsetImports = new Map<string, number>();
  producerName = 'ssmc';
  producerVersion = '0.1.0';
  domain = '';
  modelVersion = 0;
  docString = '';
  readonly metadata = new Map<string, string>();
  readonly functions: FunctionDef[] = [];

  constructor(opset = 17, graph: Graph = new Graph('main')) {
    this.graph = graph;
    this.opsetImports.set('', opset);
    this.irVersion = irVersionForOpset(opset);
  }

  get opset(): number {
    return this.opsetImports.get('') ?? this.opsetImports.get('ai.onnx') ?? 1;
  }

  findFunction(domain: string, name: string): FunctionDef | undefined {
    return this.functions.find((f) => f.domain === domain && f.name === name);
  }
}

/** The lowest IR version that can carry a given opset (IR 8 ↔ opset 17-19, 9 ↔ 20, 10 ↔ 21). */
export function irVersionForOpset(opset: number): number {
  if (opset >= 23) return 11;
  if (opset >= 21) return 10;
  if (opset >= 20) return 9;
  return 8;
}
