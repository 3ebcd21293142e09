#!/usr/bin/python3
"""Reference cases for the other models of lucidrains/gated-state-spaces-pytorch (d484cf5):
GatedExponentialSmoothingLM / GatedMHESA (mhesa.py) and GatedDsConvLM / GatedDsConv (dsconv.py), in the
layout of ../shared/golden/variants.

    /usr/bin/python3 tools/reference/make_variant_cases.py --gss-repo <checkout> --einops <checkout> \
        [--out test/fixtures/variants]

Per case: `<case>.json` (ssmc model file: arch id and the official constructor arguments),
`<case>.weights.safetensors` (the official state_dict names, float32), `<case>.io.safetensors`
(`input`: int64 token ids [B, L] for an LM, float32 [B, L, dim] for a block; the official float32 `output`
[B, L, V] or [B, L, dim]; `output_f64`).
Every parameter is moved off its initial value; the weights file is read back and re-run.
"""
import argparse
import copy
import json
import os
import sys
import zlib
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import official  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (case, arch id, class name, constructor arguments, input length, what it adds to the public cases)
CASES = [
    ("gss_mhesa_lm_h8_d3", "gss-mhesa-lm", "GatedExponentialSmoothingLM",
     {"num_tokens": 40, "dim": 24, "depth": 3, "heads": 8, "dim_mhesa": 32, "dim_expansion_factor": 2}, 60,
     "8 heads of 4 channels, 3 layers, dim 24 with dim_mhesa 32 (the smoothing width differs from the model width)"),
    ("gss_mhesa_lm_h1_frac", "gss-mhesa-lm", "GatedExponentialSmoothingLM",
     {"num_tokens": 20, "dim": 16, "depth": 1, "heads": 1, "dim_mhesa": 16, "dim_expansion_factor": 1.5}, 33,
     "one head, one layer, dim_expansion_factor 1.5 (hidden width int(1.5 * 16) = 24), odd length"),
    ("gss_dsconv_lm_h2_d3", "gss-dsconv-lm", "GatedDsConvLM",
     {"num_tokens": 40, "dim": 24, "depth": 3, "heads": 2, "dim_dsconv": 16, "max_seq_len": 128,
      "dim_expansion_factor": 2}, 60,
     "2 heads of 8 channels, 3 layers, dim_dsconv 16 < dim 24"),
    ("gss_dsconv_lm_h8_frac", "gss-dsconv-lm", "GatedDsConvLM",
     {"num_tokens": 20, "dim": 16, "depth": 1, "heads": 8, "dim_dsconv": 32, "max_seq_len": 64,
      "dim_expansion_factor": 1.5}, 64,
     "8 heads, one layer, dim_expansion_factor 1.5, input length = max_seq_len (the longest it accepts)"),
    ("gss_dsconv_lm_long", "gss-dsconv-lm", "GatedDsConvLM",
     {"num_tokens": 12, "dim": 8, "depth": 1, "heads": 2, "dim_dsconv": 8, "max_seq_len": 2048,
      "dim_expansion_factor": 2}, 1100,
     "a length past the Toeplitz form's limit (1024), so a fixed length takes the DFT form; batch 1"),
    ("gss_mhesa_block", "gss-mhesa", "GatedMHESA",
     {"dim": 16, "heads": 4, "dim_mhesa": 24, "dim_expansion_factor": 2}, 40,
     "the block alone (float input [B, L, dim]): 4 heads of 6 channels, dim_mhesa 24 > dim 16"),
    ("gss_dsconv_block", "gss-dsconv", "GatedDsConv",
     {"dim": 16, "heads": 2, "dim_dsconv": 16, "dim_expansion_factor": 2}, 40,
     "the block alone (float input [B, L, dim]): 2 heads of 8 channels"),
    ("gss_dsconv_block_reverse", "gss-dsconv", "GatedDsConv",
     {"dim": 12, "heads": 3, "dim_dsconv": 12, "dim_expansion_factor": 1.5, "reverse_seq": True}, 37,
     "the block with reverse_seq (flipped before the norm, output flipped back: anti-causal), odd length"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    official.add_repo_arguments(parser, s4=False, gss=True)
    parser.add_argument("--out", default=os.path.join(REPO, "test", "fixtures", "variants"))
    args = parser.parse_args()
    gss = official.load_gss(args.gss_repo, args.einops)
    import torch
    from casekit import move_off_init, read_safetensors, write_case_io, write_safetensors
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name, arch, cls, kwargs, length, covers in CASES:
        seed = zlib.crc32(name.encode())
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        model = getattr(gss, cls)(**kwargs)
        initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
        move_off_init(model, gen, scale=0.3)
        state = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
        assert all(not torch.equal(v, initial[k]) for k, v in state.items()), f"{name}: a tensor did not move"
        base = os.path.join(args.out, name)
        write_safetensors(base + ".weights.safetensors", state)
        with open(base + ".json", "w") as f:
            json.dump({"arch": arch, "args": kwargs}, f)
            f.write("\n")

        # Outputs from the weights as written (read back through our own reader of the format).
        weights = read_safetensors(base + ".weights.safetensors")
        batch = 1 if length > 1024 else 2
        if "num_tokens" in kwargs:
            x = torch.randint(0, kwargs["num_tokens"], (batch, length), generator=gen)
        else:
            x = torch.randn(batch, length, kwargs["dim"], generator=gen)
        outs = {}
        for dtype in (torch.float32, torch.float64):
            m = getattr(gss, cls)(**kwargs).to(dtype)
            m.load_state_dict({k: v.to(dtype) for k, v in weights.items()}, strict=True)
            m.eval()
            with torch.no_grad():
                outs[dtype] = m(x if x.dtype == torch.int64 else x.to(dtype))
        kib = write_case_io(base, name, x, outs)
        rows.append(f"| `{name}` | `{cls}` ({arch}) | {covers}; input {list(x.shape)} | {kib:.0f} KiB |")

    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("\n".join([
            "# More cases of lucidrains/gated-state-spaces-pytorch (d484cf5)",
            "",
            "Made by `tools/reference/make_variant_cases.py` (see README.md there), in the layout of",
            "`../shared/golden/variants`: `<case>.json` (ssmc model file), `<case>.weights.safetensors` (official",
            "state_dict names, float32), `<case>.io.safetensors` (`input`: int64 token ids [B, L] for an LM, float32",
            "[B, L, dim] for a block; the official float32 `output` [B, L, V] or [B, L, dim]; `output_f64`: the value to",
            "compare against).",
            "",
            "| case | official class | what it adds | size |",
            "|---|---|---|---|",
            *rows, ""]))


if __name__ == "__main__":
    main()
