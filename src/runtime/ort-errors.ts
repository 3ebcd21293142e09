import { UserError } from '../errors.js';

/**
 * onnxruntime's exceptions in one line for the user: what it rejected (the model while loading,
 * or the inputs while running), the node, and the fix — without its C++ source paths, function
 * signatures and JavaScript stack.
 */
export class RuntimeRejection extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RuntimeRejection';
  }
}

const MAX_DETAIL = 400;

/** "…/onnxruntime_src/…/reshape_helper.h:91 onnxruntime::Foo(const A&, B) cond was false. Text" → "Text". */
function stripSource(text: string): string {
  return text
    .replace(/(?:\/[\w.+-]+)+\.(?:h|cc|cpp|c):\d+\s+[^]*?\)\s*(?:const\s*)?/g, '')
    .replace(/(?:^|\s)\S+(?: [=!<>]=? \S+)? was false\.\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\.$/, '')
    .trim();
}

function clip(text: string): string {
  return text.length <= MAX_DETAIL ? text : `${text.slice(0, MAX_DETAIL - 1)}…`;
}

/** The node an onnxruntime message names, as `node 'name' (Op)` or `node (Op)`. */
function nodeOf(msg: string): string | null {
  const running = /running (\w+) node\. Name:'([^']*)'/.exec(msg);
  if (running) return named(running[2]!, running[1]!);
  const inNode = /In Node, \("([^"]*)", (\w+), "([^"]*)"/.exec(msg);
  if (inNode) return named(inNode[1]!, `${inNode[3] ? `${inNode[3]}.` : ''}${inNode[2]}`);
  const nodeOp = /Node \(([^)]*)\) Op \((\w+)\)/.exec(msg);
  if (nodeOp) return named(nodeOp[1]!, nodeOp[2]!);
  const ofNode = /of node \(([^)]*)\)/.exec(msg);
  if (ofNode?.[1]) return `node '${ofNode[1]}'`;
  return null;
}

function named(name: string, op: string): string {
  return name ? `node '${name}' (${op})` : `an unnamed ${op} node`;
}

/** One line for an onnxruntime exception raised while loading a model ('load') or running it ('run'). */
export function describeOrtError(raw: string, stage: 'load' | 'run'): string {
  const msg = raw.replace(/\r/g, '');
  const node = nodeOf(msg);
  const at = node ? ` at ${node}` : '';
  let m: RegExpExecArray | null;
  if ((m = /No Op registered for (\w+) with domain_version of (\d+)/.exec(msg))) {
    return `onnxruntime cannot load the model: ${node ?? 'a node'} uses op ${m[1]}, which onnxruntime does not implement at opset ${m[2]}; use an op it has at that opset, or give the op a model-local function body`;
  }
  if ((m = /(\S+):(\w+)\(-?\d+\) is not a registered function\/op/.exec(msg))) {
    return `onnxruntime cannot load the model: op ${m[2]} of domain '${m[1]}' is neither built in nor a model-local function (onnxruntime-node cannot load custom-op libraries); give the op a function body, as ssmc compile --custom-ops does`;
  }
  if ((m = /Opset (\d+) is under development[^]*?support for domain (\S+) is till opset (\d+)/.exec(msg))) {
    return `onnxruntime cannot load the model: it imports ${m[2]} opset ${m[1]}, but onnxruntime supports up to opset ${m[3]}; export it at a released opset (ssmc compile --opset 17 to 21)`;
  }
  if ((m = /External data path validation failed for initializer: ([^.\s]+)\.[^]*?External data path: "([^"]*)"/.exec(msg)) || (m = /External data path validation failed for initializer: ([^.\s]+)\./.exec(msg))) {
    return `onnxruntime cannot load the model: initializer '${m[1]}' keeps its data in ${m[2] ? `'${m[2]}', ` : 'a file '}outside the model's folder; external data must lie in the folder of the .onnx file (a relative path without '..')`;
  }
  if ((m = /Got invalid dimensions for input: (\S+) for the following indices\s+index: (\d+) Got: (\d+) Expected: (\d+)/.exec(msg))) {
    return `onnxruntime rejected input '${m[1]}': dimension ${m[2]} is ${m[3]} but the model expects ${m[4]}; feed a tensor of the shape the model declares`;
  }
  if ((m = /Unexpected input data type\. Actual: \((.*?)\) , expected: \((.*?)\)/.exec(msg))) {
    return `onnxruntime rejected an input: it is ${m[1]} but the model expects ${m[2]}`;
  }
  if (/Type Error:/.test(msg)) {
    return `onnxruntime cannot load the model: a type error${at}: ${clip(stripSource(msg.replace(/^[^]*?Type Error:\s*/, '')))}; the types the graph declares disagree with what the op produces — fix the value types in the model`;
  }
  if (/\[ShapeInferenceError\]|\[TypeInferenceError\]/.test(msg)) {
    const why = stripSource(msg.replace(/^[^]*?\[(?:Shape|Type)InferenceError\]\s*/, ''));
    return `onnxruntime cannot load the model: shape inference failed${at}: ${clip(why)}; the node's attributes or input shapes are invalid for its op`;
  }
  if (/This is an invalid model/.test(msg)) {
    return `onnxruntime cannot load the model: it is invalid${at}: ${clip(stripSource(msg.replace(/^[^]*?Error\s*/, '')))}`;
  }
  if (/Non-zero status code returned while running/.test(msg)) {
    const why = stripSource(msg.replace(/^[^]*?Status Message:\s*/, ''));
    return `onnxruntime failed while running ${node ?? 'the model'}: ${clip(why)}; check the input shapes and values against what the model expects`;
  }
  const first = stripSource(msg.split('\n').filter((l) => l.trim())[0] ?? msg);
  return stage === 'load'
    ? `onnxruntime cannot load the model${at}: ${clip(first)}`
    : `onnxruntime failed while running the model${at}: ${clip(first)}`;
}

/** An exception from an onnxruntime call as a one-line RuntimeRejection (a UserError passes through). */
export function rejection(e: unknown, stage: 'load' | 'run'): Error {
  if (e instanceof UserError) return e;
  return new RuntimeRejection(describeOrtError(e instanceof Error ? e.message : String(e), stage), { cause: e });
}
