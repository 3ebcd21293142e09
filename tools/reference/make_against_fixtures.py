#!/usr/bin/python3
"""What `ssmc verify --against` reads, saved the way a PyTorch user saves it: torch.save of a dict of the
model's input and output. Made from a whole-model case's io.safetensors (the official model's own input and
float32 output), under names of the user's choosing (read with --input-name / --output-names).

    /usr/bin/python3 tools/reference/make_against_fixtures.py      # writes test/fixtures/against/
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from casekit import read_safetensors  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "test", "fixtures", "against")


def main():
    os.makedirs(OUT, exist_ok=True)
    io = read_safetensors(os.path.join(REPO, "test", "fixtures", "whole", "s4_ffn_cycle", "io.safetensors"))
    # As in the README: x = batch input; y = model(x); torch.save({...}, path) — here with float64 input,
    # as a user running a float64 evaluation would have it.
    torch.save({"x": io["input"].double(), "logits": io["output"], "epoch": 3},
               os.path.join(OUT, "s4_ffn_cycle.io.pt"))
    print("written", os.path.join(OUT, "s4_ffn_cycle.io.pt"))


if __name__ == "__main__":
    main()
