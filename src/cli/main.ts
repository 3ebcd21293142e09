#!/usr/bin/env node
import { UserError } from '../errors.js';
import { compileCommand } from './compile-command.js';
import { demoCommand } from './demo-command.js';
import { generateCommand } from './generate-command.js';
import { verifyCommand } from './verify-command.js';
import { runCommand } from './run-command.js';
import { inspectCommand } from './inspect-command.js';
import { diffCommand } from './diff-command.js';
import { serveCommand } from './serve-command.js';
import { exportTritonCommand } from './export-triton-command.js';

const USAGE = `ssmc — compile state space sequence models (S4, S4D, DSS, GSS) to ONNX

usage:
  ssmc compile <model.json> [--weights ckpt.safetensors|.pt|.pth|.ckpt] [--mode conv|step|prefill] [--seq-len N|dynamic]
               [--lowering auto|dft|fourstep|chunked|direct] [--target ort-cpu|ort-wasm] [--threads N] [--custom-ops]
               [--opset N] [--print-after <pass>]... [--print-passes] -o out.onnx
  ssmc run <model.onnx> --inputs in.safetensors -o out.safetensors [--threads N] [--backend node|wasm]
  ssmc generate <model.json|step.onnx> --prompt "…" [--weights ckpt] [--max-tokens N]
               [--temperature T] [--top-k K] [--top-p P] [--seed S] [--threads N]
  ssmc serve <model.json|model.onnx> [--weights ckpt] [--host H] [--port N] [--name NAME]
               [--backend node|wasm] [--threads N] [--max-batch N] [--max-queue N] [--max-body BYTES]
               [--max-prompt N] [--max-tokens N] [--timeout S] [--receive-timeout S] [--shutdown-grace S]
               KServe/Triton v2 inference API; OpenAI /v1/completions with continuous batching for LMs
  ssmc export-triton <model.json|model.onnx> --out <dir> [--weights ckpt] [--name NAME]
               [--max-batch N] [--sequence-idle S]
               a Triton model repository: the conv graph, and the step graph with sequence batching and implicit state
  ssmc verify <model.json> [--weights ckpt] [--len N] [--batch B] [--seed S] [--backend node|wasm]
               conv vs step vs prefill+step vs the float64 reference, with pass/fail
  ssmc inspect <model.onnx> [--json] [--dim NAME=N]... [--graph] [--dot out.dot] [--html out.html]
               any ONNX file: interface, initializers, ops, functions, subgraphs, shapes, FLOPs/memory, SSM layers
  ssmc diff <a.onnx> <b.onnx> [--json] [--run [--dim NAME=N]... [--seed S]]
               structural and initializer differences; --run compares outputs on random inputs in onnxruntime
  ssmc demo      compile the bundled example model, run it in onnxruntime-node, check it

Bad input exits with code 2 and a message naming the field, the rule and the fix.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void> | void> = {
  compile: compileCommand,
  run: runCommand,
  generate: generateCommand,
  verify: verifyCommand,
  demo: demoCommand,
  inspect: inspectCommand,
  diff: diffCommand,
  serve: serveCommand,
  'export-triton': exportTritonCommand,
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    console.error(`ssmc: unknown command '${cmd}'; commands: ${Object.keys(COMMANDS).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  try {
    await run(rest);
    // A command that ran but found a failure (verify: a check over tolerance; diff: the models
    // differ) sets process.exitCode; process.exit(0) would hide it.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof UserError) {
      console.error(`ssmc ${cmd}: error: ${e.message}`);
      return 2;
    }
    const named = userFacing(e);
    if (named) {
      console.error(`ssmc ${cmd}: error: ${named}`);
      return 2;
    }
    throw e;
  }
}

/** Errors from the format readers are the user's input too (a bad .onnx or .safetensors file). */
function userFacing(e: unknown): string | null {
  if (e instanceof Error && (e.name === 'SafetensorsError' || e.name === 'OnnxFormatError')) return e.message;
  return null;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
