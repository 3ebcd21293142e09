#!/usr/bin/env node
import { OnnxFormatError } from '../../export/onnx-read.js';
import { SafetensorsError } from '../../export/safetensors.js';
import { UserError } from '../errors.js';
import { SERVER_VERSION as VERSION } from '../serve/version.js';

/** Each command's usage, as `ssmc <command> --help` prints it and the overview lists it. */
const COMMAND_USAGE: Record<string, string> = {
  compile: `ssmc compile <model.json|config.yaml> [--weights ckpt.safetensors|.pt|.pth|.ckpt] -o out.onnx
ssmc compile --weights last.ckpt -o out.onnx          (the config from the checkpoint's hyper_parameters)
             [--mode conv|step|prefill] [--seq-len N|dynamic] [--lowering auto|dft|fourstep|chunked|doubling|direct]
             [--target ort-cpu|ort-wasm|ort-webgpu] [--threads N] [--custom-ops] [--portable] [--dplr-step auto|linear|diagonal] [--precision fp32|fp16|bf16]
             [--state-layout planar|interleaved] [--opset N] [--print-after <pass>]... [--print-passes] [--allow-large] [--kv-cache N] [--quiet]
             [--d-input N] [--d-output N|none] [--n-tokens N] [--l-output N|none]   (what a config leaves to the dataset)`,
  run: `ssmc run <model.onnx> --inputs in.safetensors -o out.safetensors [--threads N] [--backend node|wasm|webgpu]`,
  generate: `ssmc generate <model.json|config.yaml|step.onnx> [--weights ckpt] (--prompt "…" | --prompt-file F | --prompt-ids 1,2,3)
              [--max-tokens N] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--threads N] [--backend node|wasm|webgpu]
ssmc generate --weights last.ckpt --prompt-ids 1,2,3 …
              a language model's step graph: text prompts for byte-level vocabularies, token ids for any`,
  serve: `ssmc serve <model.json|config.yaml|model.onnx> [--weights ckpt] [--host H] [--port N] [--name NAME]
              [--backend node|wasm|webgpu] [--threads N] [--max-batch N] [--max-queue N] [--max-body BYTES]
              [--max-prompt N] [--max-tokens N] [--timeout S] [--receive-timeout S] [--shutdown-grace S] [--quiet]
              KServe/Triton v2 inference API; OpenAI /v1/completions with continuous batching for LMs`,
  'export-triton': `ssmc export-triton <model.json|config.yaml|model.onnx> --out <dir> [--weights ckpt] [--name NAME]
              [--max-batch N] [--sequence-idle S]
              a Triton model repository: the conv graph, and the step graph with sequence batching and implicit state`,
  verify: `ssmc verify <model.json|config.yaml> [--weights ckpt] [--len N] [--batch B] [--seed S] [--backend node|wasm|webgpu] [--dplr-step auto|linear|diagonal] [--precision fp32|fp16|bf16] [--allow-large] [--kv-cache N] [--quiet]
ssmc verify --weights last.ckpt …
              conv vs step vs prefill+step vs the float64 reference on a random input, with pass/fail
              [--against io.safetensors|io.pt [--input-name NAME] [--output-names A,B] [--tolerance R]]
              instead: the graphs vs the outputs you saved from PyTorch with their inputs`,
  inspect: `ssmc inspect <model.onnx> [--json] [--dim NAME=N]... [--graph] [--dot out.dot] [--html out.html]
              any ONNX file: interface, initializers, ops, functions, subgraphs, shapes, FLOPs/memory, SSM layers`,
  diff: `ssmc diff <a.onnx> <b.onnx> [--json] [--run [--dim NAME=N]... [--seed S]]
              structural and initializer differences; --run compares outputs on random inputs in onnxruntime`,
  demo: `ssmc demo      compile the bundled example model, run it in onnxruntime-node, check it`,
};

const indent = (text: string) => text.split('\n').map((l) => `  ${l}`).join('\n');

const USAGE = `ssmc ${VERSION} — compile state space sequence models (S4, S4D, DSS, GSS) to ONNX

usage:
${Object.values(COMMAND_USAGE).map(indent).join('\n')}
  ssmc <command> --help      one command's usage
  ssmc --version

compile, verify and serve show their progress on stderr when it is a terminal (not in pipes or CI, not
with --quiet); results go to stdout. Bad input exits with code 2 and a message naming the field, the rule
and the fix. A compile estimated to need more than 12 GiB or 5 minutes is refused with the estimate;
--allow-large goes ahead.`;

type Command = (argv: string[]) => Promise<void> | void;

/**
 * Each command's module is loaded only when it runs: onnxruntime-node is loaded by the commands
 * that run models, after the command line has been checked (see MAX_COMMAND_LINE).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  compile: async () => (await import('./compile-command.js')).compileCommand,
  run: async () => (await import('./run-command.js')).runCommand,
  generate: async () => (await import('./generate-command.js')).generateCommand,
  verify: async () => (await import('./verify-command.js')).verifyCommand,
  demo: async () => (await import('./demo-command.js')).demoCommand,
  inspect: async () => (await import('./inspect-command.js')).inspectCommand,
  diff: async () => (await import('./diff-command.js')).diffCommand,
  serve: async () => (await import('./serve-command.js')).serveCommand,
  'export-triton': async () => (await import('./export-triton-command.js')).exportTritonCommand,
};

/**
 * onnxruntime-node 1.30 crashes (SIGSEGV) when it creates a session in a process whose command
 * line is longer than about 28 KiB; ssmc refuses long command lines before it loads onnxruntime.
 * Long prompts go in a file (`generate --prompt-file`).
 */
const MAX_COMMAND_LINE = 16 * 1024;

function commandLineBytes(argv: readonly string[]): number {
  return argv.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
    console.log(`ssmc ${VERSION}`);
    return 0;
  }
  const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!load) {
    console.error(`ssmc: unknown command '${cmd.slice(0, 64)}'; commands: ${Object.keys(COMMANDS).join(', ')}\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage:\n${indent(COMMAND_USAGE[cmd]!)}`);
    return 0;
  }
  const bytes = commandLineBytes(process.argv);
  if (bytes > MAX_COMMAND_LINE) {
    console.error(`ssmc ${cmd}: error: the command line is ${bytes} bytes, over the ${MAX_COMMAND_LINE}-byte limit (onnxruntime-node crashes on command lines over about 28 KiB); pass a long prompt with --prompt-file <file>`);
    return 2;
  }
  try {
    const run = await load();
    await run(rest);
    // A command that ran but found a failure (verify: a check over tolerance; diff: the models
    // differ) sets process.exitCode; process.exit(0) would hide it.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    const message = e instanceof UserError ? e.message : userFacing(e);
    if (message !== null) {
      console.error(`ssmc ${cmd}: error: ${oneLine(message, cmd)}`);
      return 2;
    }
    throw e;
  }
}

/**
 * Exit once stdout and stderr have been handed to the OS: on a slow pipe, writes queue in the
 * process, and process.exit would drop what is queued (a --json report cut at 64 KiB).
 */
async function exitAfterFlush(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((done) => {
    if (s.destroyed || !s.writable) return done();
    s.write('', () => done());
  })));
  process.exit(code);
}

// A reader that goes away (`ssmc inspect m.onnx | head`) is not an error of ours.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}

/**
 * The message as one line of bounded length: a file can put megabytes of names into a message
 * (1.5 million extra tensors), and the readers' messages already say where and why.
 */
const MAX_MESSAGE = 2000;
function oneLine(message: string, cmd: string): string {
  const text = message.replace(new RegExp(`^ssmc ${cmd}: `), '').replace(/\s*\n\s*/g, ' ');
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 200)} … (${text.length - MAX_MESSAGE + 200} characters left out) … ${text.slice(-150)}`;
}

/** Errors from the format readers are the user's input too (a bad .onnx or .safetensors file). */
function userFacing(e: unknown): string | null {
  if (e instanceof SafetensorsError || e instanceof OnnxFormatError) return e.message;
  return null;
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (e) => {
    console.error(e);
    return exitAfterFlush(1);
  },
);
