import type { Tensor } from '../../ir/tensor.js';
import type { Session } from '../runtime/backend.js';
import { Sampler, type SamplingParams } from '../sampling.js';
import type { LmGraphs } from './lm.js';

/** One generation request as the batcher takes it (already validated). */
export interface SequenceRequest {
  id: number;
  /** Token ids, at least one. */
  prompt: number[];
  /** Tokens to generate, at least one. */
  maxTokens: number;
  sampling: SamplingParams;
}

/** What one iteration produced for one sequence. */
export interface TokenEvent {
  id: number;
  token: number;
  /** The sequence reached its max_tokens with this token and has left the batch. */
  last: boolean;
}

export interface IterationStats {
  /** Sequences stepped together (0: no step ran). */
  batch: number;
  stepMs: number;
  /** Prompts prefilled this iteration, their tokens, the prefill calls and their time. */
  prefilled: number;
  prefillTokens: number;
  prefillCalls: number;
  prefillMs: number;
}

export interface BatcherOptions {
  /** Sequences stepped together at most (the batch dimension). */
  maxBatch: number;
  /**
   * Prompt tokens prefilled per iteration before the running batch takes its next step (at
   * least one prompt group always runs): bounds how long a burst of arrivals stalls running
   * streams.
   */
  prefillBudget?: number;
}

interface Sequence {
  req: SequenceRequest;
  sampler: Sampler;
  generated: number;
  /** The token the next step feeds: the last sampled one, or the next prompt token. */
  next: number;
  /** Prompt positions still to feed through the step graph (no prefill graph). */
  promptLeft: number;
}

const DEFAULT_PREFILL_BUDGET = 2048;

/**
 * Continuous batching over an LM's step graph. Every active sequence advances one position per
 * iteration in one step-graph call (the batch dimension); arriving prompts are prefilled —
 * prompts of the same length together, in one prefill call — and join the batch; a sequence
 * that is done or cancelled leaves it at once.
 *
 * Prompts of different lengths are never padded into one prefill call: a padded position is not
 * a no-op for an SSM whose layers have norms and biases (it moves the state), so padding would
 * change the tokens. Each prompt therefore goes through exactly the computation it would get
 * alone, and because every op in these graphs computes each batch row on its own, a sequence's
 * tokens do not depend on which others share its batch (the tests check this bit for bit).
 *
 * States live in one buffer per layer, rows 0..n-1 for the n active sequences (a leaving
 * sequence's row is refilled from the last row), fed to the step graph as views and written
 * back through preallocated outputs into a second buffer that then swaps with the first. Both
 * are reserved for maxBatch rows up front (like a KV cache): the decoding loop allocates nothing
 * per step, and memory is the same before, during and after a burst.
 */
export class ContinuousBatcher {
  private readonly rows: Sequence[] = [];
  private readonly waiting: Sequence[] = [];
  private readonly cancelled = new Set<number>();
  private readonly rowSizes: number[];
  private readonly prefillBudget: number;
  private current: Float32Array[];
  private spare: Float32Array[];
  private readonly logits: Float32Array;

  constructor(
    private readonly lm: Pick<LmGraphs, 'vocab' | 'states'>,
    private readonly step: Session,
    private readonly prefill: Session | null,
    private readonly opts: BatcherOptions,
  ) {
    if (!Number.isInteger(opts.maxBatch) || opts.maxBatch < 1) throw new Error(`internal: maxBatch ${opts.maxBatch}`);
    this.rowSizes = lm.states.map((s) => s.shape.reduce<number>((n, d) => (d === 'batch' ? n : n * (d as number)), 1));
    this.prefillBudget = opts.prefillBudget ?? DEFAULT_PREFILL_BUDGET;
    this.current = this.rowSizes.map((size) => new Float32Array(opts.maxBatch * size));
    this.spare = this.rowSizes.map((size) => new Float32Array(opts.maxBatch * size));
    this.logits = new Float32Array(opts.maxBatch * lm.vocab);
  }

  /** Queue a request; it joins the batch at a coming iteration when a row is free. */
  add(req: SequenceRequest): void {
    if (req.prompt.length === 0 || req.maxTokens < 1) throw new Error('internal: a sequence needs a prompt token and at least one token to generate');
    const seq: Sequence = { req, sampler: new Sampler(req.sampling), generated: 0, next: req.prompt[0]!, promptLeft: 0 };
    this.waiting.push(seq);
  }

  /** Drop a sequence (waiting or running); it leaves before the next step. */
  cancel(id: number): void {
    this.cancelled.add(id);
  }

  get running(): number {
    return this.rows.length;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Bytes reserved for states and logits. */
  get reservedBytes(): number {
    return this.opts.maxBatch * (2 * this.rowSizes.reduce((a, b) => a + b, 0) + this.lm.vocab) * 4;
  }

  hasWork(): boolean {
    return this.rows.length > 0 || this.waiting.length > 0;
  }

  /**
   * One scheduler iteration: drop cancelled sequences, admit and prefill waiting prompts while
   * rows are free, then step the whole batch once. Returns the tokens it produced.
   */
  async iterate(): Promise<{ events: TokenEvent[]; stats: IterationStats }> {
    const events: TokenEvent[] = [];
    const stats: IterationStats = { batch: 0, stepMs: 0, prefilled: 0, prefillTokens: 0, prefillCalls: 0, prefillMs: 0 };
    this.dropCancelled();
    await this.admit(events, stats);
    this.dropCancelled();
    if (this.rows.length > 0) await this.stepAll(events, stats);
    return { events, stats };
  }

  private dropCancelled(): void {
    if (this.cancelled.size === 0) return;
    for (let i = this.waiting.length - 1; i >= 0; i--) if (this.cancelled.has(this.waiting[i]!.req.id)) this.waiting.splice(i, 1);
    const leaving: number[] = [];
    this.rows.forEach((s, r) => this.cancelled.has(s.req.id) && leaving.push(r));
    this.removeRows(leaving);
    this.cancelled.clear();
  }

  /** Admit waiting sequences into free rows, FIFO; prefill them in groups of equal length. */
  private async admit(events: TokenEvent[], stats: IterationStats): Promise<void> {
    const free = this.opts.maxBatch - this.rows.length;
    if (free <= 0 || this.waiting.length === 0) return;
    const admitted = this.waiting.splice(0, free);
    if (!this.prefill) {
      // The step graph reads the prompt one position per iteration, from zero states.
      for (const seq of admitted) {
        seq.promptLeft = seq.req.prompt.length;
        this.zeroRow(this.rows.length);
        this.rows.push(seq);
      }
      return;
    }
    // Groups of equal prompt length, in order of their first arrival; the budget bounds the
    // prompt tokens per iteration, and what it leaves goes back to the head of the queue.
    const groups = new Map<number, Sequence[]>();
    for (const seq of admitted) {
      const g = groups.get(seq.req.prompt.length);
      if (g) g.push(seq);
      else groups.set(seq.req.prompt.length, [seq]);
    }
    const deferred: Sequence[] = [];
    let spent = 0;
    for (const [len, group] of groups) {
      if (spent > 0 && spent + len * group.length > this.prefillBudget) {
        deferred.push(...group);
        continue;
      }
      spent += len * group.length;
      await this.prefillGroup(len, group, events, stats);
    }
    if (deferred.length > 0) this.waiting.unshift(...deferred.sort((a, b) => a.req.id - b.req.id));
  }

  private async prefillGroup(len: number, group: Sequence[], events: TokenEvent[], stats: IterationStats): Promise<void> {
    const k = group.length;
    const ids = new BigInt64Array(k * len);
    group.forEach((seq, j) => seq.req.prompt.forEach((t, i) => (ids[j * len + i] = BigInt(t))));
    const t0 = performance.now();
    const out = await this.prefill!.run(new Map([['input', { dtype: 'int64', dims: [k, len], data: ids } as Tensor]]));
    stats.prefillMs += performance.now() - t0;
    stats.prefillCalls++;
    stats.prefilled += k;
    stats.prefillTokens += k * len;
    const V = this.lm.vocab;
    const logits = out.get('output')!.data as Float32Array;
    group.forEach((seq, j) => {
      const token = seq.sampler.pick(logits.subarray((j * len + len - 1) * V, (j * len + len) * V));
      const last = this.emit(seq, token, events);
      if (last) return;
      const row = this.rows.length;
      this.lm.states.forEach((s, l) => {
        const size = this.rowSizes[l]!;
        this.current[l]!.set((out.get(s.output)!.data as Float32Array).subarray(j * size, (j + 1) * size), row * size);
      });
      this.rows.push(seq);
    });
  }

  /** One step of every running sequence together. */
  private async stepAll(events: TokenEvent[], stats: IterationStats): Promise<void> {
    const n = this.rows.length;
    const V = this.lm.vocab;
    const ids = new BigInt64Array(n);
    this.rows.forEach((seq, r) => (ids[r] = BigInt(seq.promptLeft > 0 ? seq.req.prompt[seq.req.prompt.length - seq.promptLeft]! : seq.next)));
    const feeds = new Map<string, Tensor>([['input', { dtype: 'int64', dims: [n], data: ids }]]);
    const into = new Map<string, Tensor>([['output', { dtype: 'float32', dims: [n, V], data: this.logits.subarray(0, n * V) }]]);
    this.lm.states.forEach((s, l) => {
      const dims = s.shape.map((d) => (d === 'batch' ? n : (d as number)));
      feeds.set(s.input, { dtype: 'float32', dims, data: this.current[l]!.subarray(0, n * this.rowSizes[l]!) });
      into.set(s.output, { dtype: 'float32', dims, data: this.spare[l]!.subarray(0, n * this.rowSizes[l]!) });
    });
    const t0 = performance.now();
    await this.step.run(feeds, into);
    stats.stepMs = performance.now() - t0;
    stats.batch = n;
    [this.current, this.spare] = [this.spare, this.current];

    const leaving: number[] = [];
    this.rows.forEach((seq, r) => {
      if (seq.promptLeft > 0 && --seq.promptLeft > 0) return; // still reading its prompt
      if (this.cancelled.has(seq.req.id)) return; // cancelled while the step ran: no more tokens
      if (this.emit(seq, seq.sampler.pick(this.logits.subarray(r * V, (r + 1) * V)), events)) leaving.push(r);
    });
    this.removeRows(leaving);
  }

  /** Record a sampled token; true when it was the sequence's last. */
  private emit(seq: Sequence, token: number, events: TokenEvent[]): boolean {
    seq.next = token;
    seq.generated++;
    const last = seq.generated >= seq.req.maxTokens;
    events.push({ id: seq.req.id, token, last });
    return last;
  }

  /** Remove rows (ascending indices): each is refilled from the current last row. */
  private removeRows(rows: number[]): void {
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!, last = this.rows.length - 1;
      if (r !== last) {
        this.rowSizes.forEach((size, l) => this.current[l]!.copyWithin(r * size, last * size, (last + 1) * size));
        this.rows[r] = this.rows[last]!;
      }
      this.rows.pop();
    }
  }

  private zeroRow(row: number): void {
    this.rowSizes.forEach((size, l) => this.current[l]!.fill(0, row * size, (row + 1) * size));
  }
}
