/**
 * The arithmetic that state-spaces/s4's configs ask of `${eval:…}` (its training script registers
 * Python's eval): numbers, + - * / // % ** with Python's precedence and semantics, parentheses,
 * True/False/None and the functions int, float, min, max, abs, round. Nothing else is evaluated.
 */
export function evaluateArithmetic(text: string, fail: (why: string) => never): number | boolean | null {
  const tokens = tokenize(text, fail);
  let i = 0;
  const peek = () => tokens[i];
  const take = (v?: string) => {
    const t = tokens[i];
    if (t === undefined || (v !== undefined && t !== v)) fail(`expected ${v ?? 'more'} at ${JSON.stringify(tokens.slice(i).join(' ') || 'the end')}`);
    i++;
    return t!;
  };
  const num = (v: Value): number => {
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    return fail('None in arithmetic');
  };

  type Value = number | boolean | null;
  const expr = (): Value => {
    let v = term();
    while (peek() === '+' || peek() === '-') v = take() === '+' ? num(v) + num(term()) : num(v) - num(term());
    return v;
  };
  const term = (): Value => {
    let v = factor();
    for (let op = peek(); op === '*' || op === '/' || op === '//' || op === '%'; op = peek()) {
      take();
      const a = num(v), b = num(factor());
      if (op !== '*' && b === 0) fail('division by zero');
      v = op === '*' ? a * b : op === '/' ? a / b : op === '//' ? Math.floor(a / b) : a - b * Math.floor(a / b);
    }
    return v;
  };
  const factor = (): Value => {
    if (peek() === '-') { take(); return -num(factor()); }
    if (peek() === '+') { take(); return num(factor()); }
    return power();
  };
  const power = (): Value => {
    const base = atom();
    if (peek() === '**') { take(); return num(base) ** num(factor()); }
    return base;
  };
  const atom = (): Value => {
    const t = take();
    if (t === '(') { const v = expr(); take(')'); return v; }
    if (/^[\d.]/.test(t)) return Number(t.replace(/_/g, ''));
    if (t === 'True') return true;
    if (t === 'False') return false;
    if (t === 'None') return null;
    if (FUNCTIONS[t]) {
      take('(');
      const args: number[] = [];
      if (peek() !== ')') {
        args.push(num(expr()));
        while (peek() === ',') { take(); args.push(num(expr())); }
      }
      take(')');
      return FUNCTIONS[t]!(args, fail);
    }
    return fail(`'${t}' is not a number or one of ${Object.keys(FUNCTIONS).join(', ')}`);
  };
  const v = expr();
  if (i < tokens.length) fail(`unexpected ${JSON.stringify(tokens.slice(i).join(' '))}`);
  return v;
}

const FUNCTIONS: Record<string, (a: number[], fail: (why: string) => never) => number> = {
  int: (a, fail) => (a.length === 1 ? Math.trunc(a[0]!) : fail('int() takes one number')),
  float: (a, fail) => (a.length === 1 ? a[0]! : fail('float() takes one number')),
  abs: (a, fail) => (a.length === 1 ? Math.abs(a[0]!) : fail('abs() takes one number')),
  min: (a, fail) => (a.length > 0 ? Math.min(...a) : fail('min() needs numbers')),
  max: (a, fail) => (a.length > 0 ? Math.max(...a) : fail('max() needs numbers')),
  // Python rounds halves to even.
  round: (a, fail) => {
    if (a.length !== 1) return fail('round() takes one number here');
    const x = a[0]!, r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
};

function tokenize(text: string, fail: (why: string) => never): string[] {
  const out: string[] = [];
  const re = /\s*(\*\*|\/\/|[-+*/%(),]|\d[\d_]*\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[A-Za-z_]\w*)/y;
  let i = 0;
  while (i < text.length) {
    if (/^\s*$/.test(text.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) return fail(`cannot read ${JSON.stringify(text.slice(i))}`);
    out.push(m[1]!);
    i = re.lastIndex;
  }
  if (out.length === 0) fail('the expression is empty');
  return out;
}
