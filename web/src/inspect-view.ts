import { modelFromBytes, OnnxFormatError } from '../../export/onnx-read.js';
import { printModel } from '../../ir/printer.js';
import { UserError } from '../../src/errors.js';
import { summarizeModel } from '../../src/summary.js';
import { drawGraphPage } from './graph-drawing.js';

export interface Inspection {
  summary: string;
  /** The IR text (ir/printer.ts), cut to its first lines for big models. */
  irText: string;
  graphPage: string;
}

/** How many lines of the IR text to show under the summary (big models print megabytes). */
const IR_LINES = 400;

/**
 * Inspect the bytes of an .onnx file: the library's summary (interface, parameters, op histogram)
 * and IR text, and a drawing of the graph. Malformed files come back as a message, not a crash.
 */
export function inspectOnnx(bytes: Uint8Array, name: string): Inspection {
  const model = modelFromBytes(bytes);
  const ir = printModel(model).split('\n');
  const irText = ir.length > IR_LINES ? `${ir.slice(0, IR_LINES).join('\n')}\n… (${ir.length - IR_LINES} more lines)` : ir.join('\n');
  return {
    summary: `${name}: ${(bytes.byteLength / 1e6).toFixed(2)} MB\n${summarizeModel(model)}`,
    irText,
    graphPage: drawGraphPage(model, name),
  };
}

export function describeInspectError(e: unknown): string {
  if (e instanceof UserError || e instanceof OnnxFormatError) return e.message;
  return `cannot inspect this file: ${e instanceof Error ? e.message : String(e)}`;
}
