import type { Model } from '../ir/model.js';
import { Progress } from '../ir/progress.js';
import { printModel } from '../ir/printer.js';
import { verifyModel, type VerifyOptions } from '../ir/verifier.js';
import { PassError, type CompileTarget, type Pass } from './pass.js';

export interface RunOptions {
  /** Print the IR text after the pass of this name (repeatable: a list). */
  printAfter?: string[];
  /** Where printed IR goes. */
  print?: (text: string) => void;
  /** Run the verifier after every pass that changed the model (default true). */
  verify?: boolean;
  /** Each pass is a task of this progress, named by the pass (default: reported nowhere). */
  progress?: Progress;
}

/** What a pipeline run did: the passes that changed the model, and each pass's report, by pass. */
export class PipelineResult {
  private readonly reports = new Map<Pass<unknown>, unknown>();
  readonly changedBy: Pass<unknown>[] = [];

  /** @internal */ record(pass: Pass<unknown>, changed: boolean, report: unknown): void {
    if (changed) this.changedBy.push(pass);
    if (report !== undefined) this.reports.set(pass, report);
  }

  /** The report of `pass` (by identity), or undefined when it ran without one. */
  reportOf<R>(pass: Pass<R>): R | undefined {
    return this.reports.get(pass as Pass<unknown>) as R | undefined;
  }
}

export function findPass(passes: readonly Pass<unknown>[], name: string): Pass<unknown> {
  const p = passes.find((x) => x.name === name);
  if (!p) throw new Error(`unknown pass '${name}'; the pipeline has: ${passes.map((x) => x.name).join(', ')}`);
  return p;
}

export function runPipeline(model: Model, target: CompileTarget, passes: readonly Pass<unknown>[], opts: RunOptions = {}): PipelineResult {
  const result = new PipelineResult();
  const done: string[] = [];
  const printAfter = new Set((opts.printAfter ?? []).map((name) => findPass(passes, name)));
  const established: VerifyOptions = { checkOpsets: true };
  const progress = opts.progress ?? Progress.none;
  for (const pass of passes) progress.run(pass.name, (task) => {
    const why = pass.requires?.(model, target) ?? null;
    if (why) throw new PassError(pass, done, `precondition failed: ${why}`);
    let outcome;
    try {
      outcome = pass.run(model, target);
    } catch (e) {
      if (e instanceof PassError) throw e;
      throw new PassError(pass, done, (e as Error).message, { cause: e });
    }
    result.record(pass, outcome.changed, outcome.report);
    const broken = pass.ensures?.(model, target) ?? null;
    if (broken) throw new PassError(pass, done, `postcondition failed: ${broken}`);
    if (pass.establishes?.noComplex) established.noComplex = true;
    if (opts.verify !== false && outcome.changed) {
      try {
        verifyModel(model, established);
      } catch (e) {
        throw new PassError(pass, done, (e as Error).message, { cause: e });
      }
    }
    done.push(pass.name);
    if (!outcome.changed) task.detail('unchanged');
    if (printAfter.has(pass)) (opts.print ?? console.log)(`// IR after ${pass.name}${outcome.changed ? '' : ' (unchanged)'}\n${printModel(model)}`);
  });
  return result;
}
