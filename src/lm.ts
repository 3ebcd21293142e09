/** Language-model helpers over logits laid out [L, V] (batch 1). */

/** Mean next-token cross-entropy in bits: position t predicts token t+1. */
export function bitsPerByte(logits: ArrayLike<number>, tokens: number[], vocab: number): number {
  let total = 0;
  for (let t = 0; t + 1 < tokens.length; t++) {
    const row = t * vocab;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[row + v]!);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[row + v]! - max);
    total += Math.log(sum) + max - logits[row + tokens[t + 1]!]!;
  }
  return total / (tokens.length - 1) / Math.LN2;
}

/** Index of the largest logit of row `t`. */
export function argmaxRow(logits: ArrayLike<number>, t: number, vocab: number): number {
  let best = 0;
  for (let v = 1; v < vocab; v++) if (logits[t * vocab + v]! > logits[t * vocab + best]!) best = v;
  return best;
}
