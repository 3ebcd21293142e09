import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './errors.js';

/**
 * The most ssmc reads into memory from one file: an .onnx file cannot be larger (protobuf's
 * 2 GiB limit), and Node cannot read a larger file in one buffer.
 */
export const MAX_INPUT_BYTES = 2 ** 31 - 1;

/** What a path is, in words, for the messages of files that are not regular files. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function errnoWhy(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'ELOOP') return 'too many levels of symbolic links';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return (e as Error).message;
}

/**
 * Read a whole input file. Only regular files are read: a FIFO is opened without blocking (so it
 * never hangs waiting for a writer) and refused like a device (/dev/zero, /dev/urandom), a
 * socket or a directory. The size comes from the file itself, bounded by `maxBytes`, before a
 * byte is allocated.
 */
export function readInput(path: string, what: string, maxBytes = MAX_INPUT_BYTES): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new UserError(`${what} '${path}' cannot be read: ${errnoWhy(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UserError(`${what} '${path}' is ${kindOf(st)}, not a regular file; give the path of a file`);
    if (st.size > maxBytes) {
      throw new UserError(`${what} '${path}' is ${st.size} bytes, over the ${maxBytes}-byte limit for this input`);
    }
    const out = new Uint8Array(st.size);
    let got = 0;
    while (got < out.length) {
      const n = readSync(fd, out, got, out.length - got, null);
      if (n === 0) break; // the file shrank while we read it: keep what is there
      got += n;
    }
    return got === out.length ? out : out.subarray(0, got);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${what} '${path}' cannot be read: ${errnoWhy(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** A model file names an arch and its constructor arguments: a few hundred bytes, never megabytes. */
export const MAX_MODEL_FILE_BYTES = 1024 * 1024;

/** Read a model.json (bounded) as text. */
export function readModelJson(path: string): string {
  return new TextDecoder().decode(readInput(path, 'model file', MAX_MODEL_FILE_BYTES));
}

/**
 * Refuse an output path that is not a plain new or existing regular file: writing through a
 * rename would replace a symlink (not the file it points to), a FIFO or a device node, and an
 * output that is one of the command's inputs would destroy that input.
 */
export function checkOutputPath(path: string, what: string, inputs: readonly string[] = []): void {
  let st: Stats | null = null;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`${what} '${path}' cannot be written: ${errnoWhy(e)}`);
  }
  if (st && st.isSymbolicLink()) {
    throw new UserError(`${what} '${path}' is a symbolic link; ssmc replaces its output file, which would replace the link rather than write where it points: give the target path itself`);
  }
  if (st && !st.isFile()) throw new UserError(`${what} '${path}' is ${kindOf(st)}; give the path of a regular file to create or replace`);
  try {
    statSync(dirname(resolve(path)));
  } catch (e) {
    throw new UserError(`${what} '${path}' cannot be written: its folder ${errnoWhy(e) === 'no such file' ? 'does not exist' : `cannot be used (${errnoWhy(e)})`}`);
  }
  if (!st) return;
  for (const input of inputs) {
    if (sameFile(path, input)) throw new UserError(`${what} '${path}' is also an input of this command ('${input}'); writing it would destroy that input — give another output path`);
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = statSync(a), y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    try {
      return realpathSync(a) === realpathSync(b);
    } catch {
      return false;
    }
  }
}

/** Temporary files being written now; a signal removes them before the process ends. */
const pending = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const SIGNAL_CODES: Record<(typeof SIGNALS)[number], number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

function onSignal(signal: (typeof SIGNALS)[number]): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp); // synchronous: the process ends right after this handler
    } catch {
      // not created yet, or already gone
    }
  }
  pending.clear();
  process.exit(128 + SIGNAL_CODES[signal]);
}

let handlers = 0;
function installSignalHandlers(): void {
  if (handlers++ === 0) for (const s of SIGNALS) process.on(s, onSignal);
}
function removeSignalHandlers(): void {
  if (--handlers === 0) for (const s of SIGNALS) process.off(s, onSignal);
}

/** Bytes per write: between chunks the event loop runs, so a signal is handled mid-write. */
const CHUNK = 4 * 1024 * 1024;

/**
 * Write through a temporary file in the same folder, then rename: a failed or interrupted run
 * never leaves a partial output behind. While the temporary file exists, SIGINT, SIGTERM and
 * SIGHUP remove it before the process exits (with 128 + the signal number). `inputs` are the
 * command's input files, which the output must not be.
 */
export async function writeAtomic(path: string, bytes: Uint8Array | string | readonly Uint8Array[], inputs: readonly string[] = []): Promise<void> {
  checkOutputPath(path, 'output', inputs);
  const pieces = typeof bytes === 'string' ? [new TextEncoder().encode(bytes)] : bytes instanceof Uint8Array ? [bytes] : bytes;
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  pending.add(tmp);
  installSignalHandlers();
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      for (const data of pieces) {
        for (let at = 0; at < data.byteLength; at += CHUNK) {
          await fh.write(data, at, Math.min(CHUNK, data.byteLength - at));
        }
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    pending.delete(tmp);
  } catch (e) {
    await rm(tmp, { force: true });
    pending.delete(tmp);
    throw new UserError(`cannot write '${path}': ${errnoWhy(e)}`);
  } finally {
    removeSignalHandlers();
  }
}
