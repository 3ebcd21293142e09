/**
 * The accuracy table of the whole-model cases (what test/whole checks, as numbers): for every case
 * and file form, max|output − output_f64| of the conv graph at a dynamic length, and for the first
 * form at the input's fixed length, of the step graph from zero states (at the positions the conv
 * output holds), and of prefill + step against the conv graph; each with the bound
 * 1e-4·max(1, max|output_f64|). `node dist/bench/whole-accuracy.js` (not part of `npm run bench`:
 * it measures error, not speed).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareToReference, compileModel, modelToBytes, readSafetensors, UserError } from 'ssmc';
import { nodeBackend, runOnnx } from 'ssmc/runtime';
// Reading model files and the recurrence check are Node-only, so they are not in the browser-safe entry point.
import { loadModelSource, type ModelSource } from '../src/model-source.js';
import { checkRecurrence } from '../src/verify/recurrence.js';
import type { Layout } from '../src/verify/sequence.js';

const ROOTS = [['golden', fileURLToPath(new URL('../../../shared/golden/whole/', import.meta.url))], ['fixtures', fileURLToPath(new URL('../../test/fixtures/whole/', import.meta.url))]] as const;

/** Every case and its file forms, as test/helpers/whole.ts lists them. */
function cases(): { name: string; dir: string; forms: { label: string; load: () => ModelSource }[]; refused: boolean }[] {
  return ROOTS.flatMap(([tag, root]) => readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort().map((name) => {
    const dir = `${root}${name}/`;
    const meta = JSON.parse(readFileSync(`${dir}case.json`, 'utf8')) as { args?: { prenorm?: boolean } };
    const forms: { label: string; load: () => ModelSource }[] = [];
    if (existsSync(`${dir}last.ckpt`)) forms.push({ label: 'last.ckpt', load: () => loadModelSource(undefined, `${dir}last.ckpt`) });
    if (existsSync(`${dir}model.pt`)) forms.push({ label: 'config.yaml + model.pt', load: () => loadModelSource(`${dir}config.yaml`, `${dir}model.pt`) });
    if (existsSync(`${dir}ckpt.pth`)) {
      forms.push({
        label: 'ckpt.pth (model file)',
        load: () => {
          const path = join(mkdtempSync(join(tmpdir(), 'ssmc-acc-')), 'model.json');
          writeFileSync(path, JSON.stringify({ arch: 's4-example', args: { prenorm: meta.args?.prenorm === true }, weights: `${dir}ckpt.pth` }));
          return loadModelSource(path, undefined);
        },
      });
    }
    const text = readFileSync(`${dir}case.json`, 'utf8') + (existsSync(`${dir}config.yaml`) ? readFileSync(`${dir}config.yaml`, 'utf8') : '');
    return { name: `${tag}/${name}`, dir, forms, refused: /_name_"?:\s*"?mha/.test(text) };
  }));
}

function wholeIo(c: { dir: string; name: string }) {
  const io = readSafetensors(new Uint8Array(readFileSync(`${c.dir}io.safetensors`)), `${c.name}/io.safetensors`);
  return { input: io.get('input')!, reference: Float64Array.from(io.get('output_f64')!.data as Float64Array) };
}

const fmt = (x: number) => x.toExponential(2);

async function main(): Promise<void> {
  console.log('| case | file form | length | conv vs f64 | step vs f64 | prefill+step vs conv | bound |');
  console.log('|---|---|---|---:|---:|---:|---:|');
  for (const c of cases()) {
    const io = wholeIo(c);
    const bound = 1e-4 * Math.max(1, io.reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
    if (c.refused) {
      let why = '';
      try {
        c.forms[0]!.load();
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        why = e.message;
      }
      console.log(`| ${c.name} | ${c.forms.map((f) => f.label).join(', ')} | — | refused: ${why.replace(/\|/g, '\\|')} | | | |`);
      continue;
    }
    const [B, L] = io.input.dims as [number, number];
    for (const [i, form] of c.forms.entries()) {
      const src = form.load();
      for (const seqLen of i === 0 ? [null, L] : [null]) {
        const opts = { seqLen, opset: 17 };
        const conv = compileModel(src.file, src.weights, opts);
        const y = (await runOnnx(modelToBytes(conv.model), new Map([['input', io.input]]))).get('output')!.data as Float32Array;
        const convErr = compareToReference(y, io.reference).maxAbs;
        let step = '', prefill = '';
        if (seqLen === null && i === 0) {
          const rec = await checkRecurrence(nodeBackend, src.file, src.weights, { seqLen: null, opset: 17 }, {
            x: io.input, layout: conv.io.layout as Layout, L, B, convOutput: y, references: [['f64', io.reference]], outputShape: conv.io.outputShape, stepRows: conv.io.stepRows,
          });
          const row = (prefix: string) => rec.rows.find(([n]) => n.startsWith(prefix))?.[1].maxAbs;
          step = rec.skipped.length ? 'no recurrence (bidirectional kernel)' : fmt(row('step vs')!);
          prefill = rec.skipped.length ? '' : fmt(row('prefill')!);
        }
        console.log(`| ${c.name} | ${form.label} | ${seqLen === null ? 'dynamic' : `fixed ${seqLen}`} | ${fmt(convErr)} | ${step} | ${prefill} | ${fmt(bound)} |`);
      }
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
