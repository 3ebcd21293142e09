#!/usr/bin/python3
"""Re-run the committed reference cases with the official code, from their files alone.

    /usr/bin/python3 tools/reference/check_cases.py --s4-repo <s4> --gss-repo <gss> --einops <einops> \
        [--whole test/fixtures/whole] [--variants test/fixtures/variants]

For each whole-model case, every file form is loaded with torch (a `last.ckpt` rebuilds the model from its
own `hyper_parameters`, a `model.pt` from the `config.yaml` beside it, a `ckpt.pth` from `case.json`'s
args), its weights widened, run on `io.safetensors`' input: the float32 result must equal `output` exactly
and the float64 result must equal `output_f64` to 1e-12 relative; `output` vs `output_f64` must be within
the project's tolerance. Variant cases: the same from `<case>.json` and `.weights.safetensors`. Nothing
here reads what the generators computed in memory.
"""
import argparse
import copy
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import official  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GSS_CLASSES = {"gss-mhesa-lm": "GatedExponentialSmoothingLM", "gss-dsconv-lm": "GatedDsConvLM",
               "gss-mhesa": "GatedMHESA", "gss-dsconv": "GatedDsConv"}


def state_dict_of(torch, path, fname, prefix):
    obj = torch.load(path, map_location="cpu")
    sd = {"last.ckpt": lambda o: o["state_dict"], "model.pt": lambda o: o, "ckpt.pth": lambda o: o["model"]}[fname](obj)
    if prefix:
        assert all(k.startswith(prefix) for k in sd), f"{path}: keys without the prefix {prefix!r}"
        sd = {k[len(prefix):]: v for k, v in sd.items()}
    return obj, sd


def check_whole(s4, folder):
    import torch
    from omegaconf import OmegaConf
    from casekit import max_abs, read_safetensors, tolerance
    from pipeline import OfficialPipeline
    pipe = OfficialPipeline(s4)
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    io = read_safetensors(os.path.join(folder, "io.safetensors"))
    x, z = io["input"], {k: v for k, v in io.items() if k not in ("input", "output", "output_f64")}
    vocab = (case.get("dataset_attrs") or {}).get("n_tokens") if "dataset_note" in case else None
    worst = 0.0
    for fname, form in case["files"].items():
        if fname == "config.yaml":
            continue
        obj, sd = state_dict_of(torch, os.path.join(folder, fname), fname, form["key_prefix"])
        want_dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[form["dtype"]]
        assert all(v.dtype == want_dtype for v in sd.values() if v.is_floating_point()), f"{fname}: weights not {form['dtype']}"
        for dtype, key in ((torch.float32, "output"), (torch.float64, "output_f64")):
            if "args" in case:
                root = official.example_s4model(s4)(**case["args"])
                run = lambda m, inp, **kw: m(inp)
            else:
                hp = (copy.deepcopy(obj["hyper_parameters"]) if fname == "last.ckpt"
                      else pipe.hparams(OmegaConf.load(os.path.join(folder, "config.yaml"))))
                root, _ = pipe.build(hp, vocab)
                run = pipe.forward
            root = root.to(dtype)
            root.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v for k, v in sd.items()}, strict=True)
            root.eval()
            with torch.no_grad():
                out = run(root, x.to(dtype) if x.is_floating_point() else x, **z)
            if dtype == torch.float32:
                assert torch.equal(out, io["output"]), f"{fname}: float32 output differs from io.safetensors"
            else:
                err = max_abs(out, io["output_f64"])
                assert err <= 1e-12 * max(1.0, float(io["output_f64"].abs().max())), f"{fname}: float64 output differs by {err:.3g}"
    err, tol = max_abs(io["output"], io["output_f64"]), tolerance(io["output_f64"])
    assert err <= tol, f"output vs output_f64: {err:.3g} > {tol:.3g}"
    return max(worst, err)


def check_variant(gss, base):
    import torch
    from casekit import max_abs, read_safetensors, tolerance
    with open(base + ".json") as f:
        spec = json.load(f)
    weights = read_safetensors(base + ".weights.safetensors")
    io = read_safetensors(base + ".io.safetensors")
    for dtype, key in ((torch.float32, "output"), (torch.float64, "output_f64")):
        m = getattr(gss, GSS_CLASSES[spec["arch"]])(**spec["args"]).to(dtype)
        m.load_state_dict({k: v.to(dtype) for k, v in weights.items()}, strict=True)
        m.eval()
        with torch.no_grad():
            x = io["input"]
            out = m(x if x.dtype == torch.int64 else x.to(dtype))
        if dtype == torch.float32:
            assert torch.equal(out, io[key]), "float32 output differs"
        else:
            assert max_abs(out, io[key]) <= 1e-12 * max(1.0, float(io[key].abs().max())), "float64 output differs"
    err, tol = max_abs(io["output"], io["output_f64"]), tolerance(io["output_f64"])
    assert err <= tol, f"output vs output_f64: {err:.3g} > {tol:.3g}"
    return err


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    official.add_repo_arguments(parser, s4=True, gss=True)
    parser.add_argument("--whole", default=os.path.join(REPO, "test", "fixtures", "whole"))
    parser.add_argument("--variants", default=os.path.join(REPO, "test", "fixtures", "variants"))
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    failures = 0
    s4 = official.load_s4(args.s4_repo, args.einops)
    for folder in sorted(glob.glob(os.path.join(args.whole, "*", "case.json"))):
        folder = os.path.dirname(folder)
        try:
            err = check_whole(s4, folder)
            print(f"ok   {os.path.basename(folder):28s} max|output-output_f64| = {err:.2e}")
        except AssertionError as e:
            failures += 1
            print(f"FAIL {os.path.basename(folder):28s} {e}")
    gss = official.load_gss(args.gss_repo, args.einops)
    for spec in sorted(glob.glob(os.path.join(args.variants, "*.json"))):
        base = spec[:-len(".json")]
        try:
            err = check_variant(gss, base)
            print(f"ok   {os.path.basename(base):28s} max|output-output_f64| = {err:.2e}")
        except AssertionError as e:
            failures += 1
            print(f"FAIL {os.path.basename(base):28s} {e}")
    if failures:
        sys.exit(f"{failures} case(s) failed")


if __name__ == "__main__":
    main()
