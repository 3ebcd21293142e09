/**
 * Stop sequences over streamed text: text is released as soon as it cannot be the start of a
 * stop sequence, so a stream never shows part of one; once one appears, the text before it is
 * the last to go out.
 */
export class StopMatcher {
  private held = '';
  private done = false;

  constructor(private readonly stops: readonly string[]) {}

  /** Add generated text; returns what may be sent now and whether a stop sequence was hit. */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.done) return { emit: '', stopped: true };
    const all = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const i = all.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.done = true;
      this.held = '';
      return { emit: all.slice(0, cut), stopped: true };
    }
    const keep = this.longestPartialSuffix(all);
    this.held = all.slice(all.length - keep);
    return { emit: all.slice(0, all.length - keep), stopped: false };
  }

  /** The text held back at the end of a sequence that stopped for another reason. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** The length of the longest suffix of `text` that is a proper prefix of a stop sequence. */
  private longestPartialSuffix(text: string): number {
    let best = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, text.length); n > best; n--) {
        if (text.endsWith(s.slice(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best;
  }
}
