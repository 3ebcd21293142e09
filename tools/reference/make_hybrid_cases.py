#!/usr/bin/python3
"""Reference cases for ssmc's `gss-hybrid-lm`: GatedStateSpacesHybridLM (gss_hybrid.py here, around the GSS
layers of lucidrains/gated-state-spaces-pytorch at d484cf5), in the layout of test/fixtures/variants.

    /usr/bin/python3 tools/reference/make_hybrid_cases.py --gss-repo <checkout> --einops <checkout> \
        [--out test/fixtures/hybrid]

Per case: `<case>.json` (ssmc model file), `<case>.weights.safetensors` (state_dict names, float32),
`<case>.io.safetensors` (`input` int64 [B, L], float32 `output` logits [B, L, V], `output_f64`). Every parameter
is moved off its initial value; the weights file is read back and re-run. For attn_pos 'none' the block's
attention (nn.MultiheadAttention's own forward with the chunk mask) is also checked against the explicit
formula the 'rotary' path uses with the rotation left out.
"""
import argparse
import json
import math
import os
import sys
import zlib
from collections import OrderedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import official  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

GSS_SMALL = {"dss_kernel_N": 16, "dss_kernel_H": 16, "dim_expansion_factor": 2}
# (case, constructor arguments, input length, what it covers)
CASES = [
    ("gss_hybrid_chunk16", {"num_tokens": 40, "dim": 32, "depth": 4, **GSS_SMALL, "attn_every": 2, "attn_heads": 4,
                            "attn_chunk": 16, "attn_pos": "none", "attn_ff_mult": 2}, 80,
     "two attention blocks (after GSS layers 1 and 3), 4 heads, chunks of 16 over 80 positions (5 chunks)"),
    ("gss_hybrid_rotary", {"num_tokens": 24, "dim": 16, "depth": 3, **GSS_SMALL, "attn_every": 3, "attn_heads": 2,
                           "attn_chunk": 12, "attn_pos": "rotary", "attn_ff_mult": 2}, 50,
     "rotary positions, chunks of 12 over 50 positions (the last chunk partial), 2 heads of 8"),
    ("gss_hybrid_full", {"num_tokens": 20, "dim": 16, "depth": 2, **GSS_SMALL, "attn_every": 1, "attn_heads": 4,
                         "attn_chunk": 0, "attn_pos": "none", "attn_ff_mult": 4}, 33,
     "attn_chunk 0: full causal attention after every GSS layer"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    official.add_repo_arguments(parser, s4=False, gss=True)
    parser.add_argument("--out", default=os.path.join(REPO, "test", "fixtures", "hybrid"))
    args = parser.parse_args()
    official.load_gss(args.gss_repo, args.einops)
    import torch
    import torch.nn.functional as F
    from casekit import max_abs, move_off_init, read_safetensors, write_case_io, write_safetensors
    from gss_hybrid import GatedStateSpacesHybridLM, chunk_mask
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name, kwargs, length, covers in CASES:
        seed = zlib.crc32(name.encode())
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        model = GatedStateSpacesHybridLM(**kwargs)
        initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
        move_off_init(model, gen, scale=0.3)
        state = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
        assert all(not torch.equal(v, initial[k]) for k, v in state.items()), f"{name}: a tensor did not move"
        base = os.path.join(args.out, name)
        write_safetensors(base + ".weights.safetensors", state)
        with open(base + ".json", "w") as f:
            json.dump({"arch": "gss-hybrid-lm", "args": kwargs}, f)
            f.write("\n")

        weights = read_safetensors(base + ".weights.safetensors")
        x = torch.randint(0, kwargs["num_tokens"], (2, length), generator=gen)
        outs = {}
        for dtype in (torch.float32, torch.float64):
            m = GatedStateSpacesHybridLM(**kwargs).to(dtype)
            m.load_state_dict({k: v.to(dtype) for k, v in weights.items()}, strict=True)
            m.eval()
            with torch.no_grad():
                outs[dtype] = m(x)
                if kwargs["attn_pos"] == "none" and dtype == torch.float64:
                    for block in m.attns.values():
                        h = torch.randn(2, length, kwargs["dim"], dtype=dtype, generator=gen)
                        dh = kwargs["dim"] // kwargs["attn_heads"]
                        q, k, v = (t.reshape(2, length, -1, dh).transpose(1, 2) for t in F.linear(h, block.attn.in_proj_weight, block.attn.in_proj_bias).chunk(3, -1))
                        s = (q @ k.transpose(-1, -2) / math.sqrt(dh)).masked_fill(chunk_mask(length, kwargs["attn_chunk"]), float("-inf"))
                        explicit = block.attn.out_proj((s.softmax(-1) @ v).transpose(1, 2).reshape(2, length, -1))
                        assert max_abs(block.attention(h), explicit) < 1e-12, f"{name}: nn.MultiheadAttention differs from the formula"
        kib = write_case_io(base, name, x, outs)
        rows.append(f"| `{name}` | {covers}; input [2, {length}] | {kib:.0f} KiB |")

    with open(os.path.join(args.out, "README.md"), "w") as f:
        f.write("\n".join([
            "# GSS hybrid language models (`gss-hybrid-lm`)",
            "",
            "Made by `tools/reference/make_hybrid_cases.py` from `tools/reference/gss_hybrid.py` (ssmc's own",
            "PyTorch definition of the GSS paper's hybrid, around lucidrains' GSS layers at d484cf5): `<case>.json`",
            "(ssmc model file), `<case>.weights.safetensors` (state_dict names, float32), `<case>.io.safetensors`",
            "(`input` int64 [B, L], float32 `output` logits [B, L, V], `output_f64`: the value to compare against).",
            "",
            "| case | what it covers | size |",
            "|---|---|---|",
            *rows, ""]))


if __name__ == "__main__":
    main()
