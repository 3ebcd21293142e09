#!/usr/bin/env bash
# Compile every golden case under every lowering, fixed and dynamic length, conv / prefill / step
# and with --custom-ops, into OUT_DIR (one .onnx per combination; a refused one leaves .err with
# the message). Run it on two commits and `cmp` the folders to prove a refactor left the graphs
# byte-identical: ssmc's output is deterministic.
#   .ci/golden-graphs.sh OUT_DIR        (after `npm run build`)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: .ci/golden-graphs.sh OUT_DIR}"
golden="../shared/golden"
mkdir -p "$out/models"
/usr/bin/python3 - "$golden" "$out/models" <<'PY'
import json, sys
golden, dest = sys.argv[1], sys.argv[2]
arch = {'S4D': 's4d-minimal', 'S4Block': 's4-block', 'DSS': 'dss', 'GSS': 'gss', 'GatedStateSpacesLM': 'gss-lm'}
for c in json.load(open(f'{golden}/manifest.json'))['cases']:
    L = c['input']['shape'][2] if c['input']['layout'] == 'BHL' else c['input']['shape'][1]
    json.dump({'arch': arch[c['official']['class']], 'args': c['official']['args']}, open(f"{dest}/{c['name']}.json", 'w'))
    open(f"{dest}/{c['name']}.len", 'w').write(str(L))
PY
compile() { # name tag args...
  local name="$1" tag="$2"; shift 2
  local file="$out/$name.$tag"
  if node dist/src/cli/main.js compile "$out/models/$name.json" --weights "$golden/$name.weights.safetensors" "$@" -o "$file.onnx" >/dev/null 2>"$file.err"; then
    rm -f "$file.err"
  fi
}
for m in "$out"/models/*.json; do
  name="$(basename "$m" .json)"
  L="$(cat "$out/models/$name.len")"
  for lowering in auto dft fourstep chunked direct; do
    for len in "$L" dynamic; do
      tag="$lowering.$len"
      compile "$name" "conv.$tag" --lowering "$lowering" --seq-len "$len"
      compile "$name" "custom.$tag" --lowering "$lowering" --seq-len "$len" --custom-ops
      compile "$name" "prefill.$tag" --mode prefill --lowering "$lowering" --seq-len "$len"
    done
    compile "$name" "conv.$lowering.$L.opset20" --lowering "$lowering" --seq-len "$L" --opset 20
  done
  compile "$name" step --mode step
  compile "$name" step.custom --mode step --custom-ops
done
ls "$out" | grep -c '\.onnx$' | sed 's/$/ graphs/'
ls "$out" | grep -c '\.err$' | sed 's/$/ refused/'
