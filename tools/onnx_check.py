#!/usr/bin/env python3
"""ONNX's own checker on .onnx files: onnx.checker.check_model(full_check=True), then strict
shape inference with type checks. Paths come one per line on stdin; one JSON object per line on
stdout: {"path", "ok", "stage", "error"}. Run with Debian's python3-onnx (/usr/bin/python3)."""
import json
import sys

import onnx
import onnx.checker
import onnx.shape_inference


def check(path):
    try:
        model = onnx.load(path)
    except Exception as e:  # a file onnx itself cannot parse
        return {"path": path, "ok": False, "stage": "load", "error": str(e).strip().splitlines()[0][:400]}
    for stage, run in (
        ("check_model", lambda: onnx.checker.check_model(model, full_check=True)),
        ("infer_shapes", lambda: onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)),
    ):
        try:
            run()
        except Exception as e:
            text = " ".join(str(e).split())
            return {"path": path, "ok": False, "stage": stage, "error": text[:400]}
    return {"path": path, "ok": True, "stage": None, "error": None}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--version":
        print(json.dumps({"onnx": onnx.__version__, "max_opset": onnx.defs.onnx_opset_version()}))
        return
    for line in sys.stdin:
        path = line.strip()
        if path:
            print(json.dumps(check(path)), flush=True)


if __name__ == "__main__":
    main()
