"""PyTorch eager latency of a whole official S4 model: the LRA-CIFAR configuration of state-spaces/s4.

Unlike bench/torch_reference.py (our own re-implementation of single layers), this builds the model with
the official code itself (state-spaces/s4 at e757cef; its path in SSMC_S4_REPO, einops in SSMC_EINOPS if
it is not installed; tools/reference/README.md says how to fetch them), from the repository's own
configs/experiment/lra/s4-cifar.yaml composed as Hydra composes it: 6 residual blocks of d_model 512,
bidirectional S4 (nplr, HiPPO-LegS, d_state 64, n_ssm 1), batch norm after the residual (post-norm),
linear encoder from 1 channel (grayscale), mean-pool decoder to 10 classes, sequences of 1024 positions.
Weights are the official random initialisation; eval mode, float32, no autograd.

Reads a JSON job on stdin: {"threads": T, "reps": R, "batch": B (1), "L": L (1024), "experiment":
"lra/s4-cifar", "overrides": {"model.n_layers": 2, ...} (optional Hydra value overrides)}; prints JSON
{"ms": median ms per forward, "ms_min": .., "first_ms": the first call (it also attunes the DPLR kernel's
C~ to L), "ms_cached_kernels": median ms with each SSM kernel computed once and reused (what a forward at a
fixed length costs without kernel generation), "params": parameter count, "config": the resolved model config, "torch": version, "blas": the
BLAS torch calls}. Each forward recomputes the SSM kernels from the parameters, as the official module
does at inference. The caller pins the BLAS/OpenMP pools (OMP_NUM_THREADS etc.), as for torch_reference.py.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools", "reference"))
sys.path.insert(0, HERE)

import official  # noqa: E402


def timed(fn, reps):
    times = []
    for _ in range(max(1, reps)):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return times


def median(values):
    return sorted(values)[len(values) // 2]


def cache_kernels(root):
    """Make every SSM kernel return the tensor it computed last for the same length: the forward then
    costs what it would if the user cached kernels for a fixed length (the official module recomputes
    them on every call; on CPU, without pykeops or the CUDA extension, that is most of the time)."""
    from src.models.sequence.kernels.kernel import Kernel
    for module in root.modules():
        if isinstance(module, Kernel):
            compute, memo = module.forward, {}

            def forward(*args, _compute=compute, _memo=memo, **kwargs):
                key = (args, tuple(sorted((k, v) for k, v in kwargs.items() if not torch_is_tensor(v))))
                if key not in _memo:
                    _memo[key] = _compute(*args, **kwargs)
                return _memo[key]

            module.forward = forward


def torch_is_tensor(v):
    import torch
    return torch.is_tensor(v)


def main():
    job = json.loads(sys.stdin.read() or "{}")
    s4 = official.load_s4(os.environ.get("SSMC_S4_REPO"), os.environ.get("SSMC_EINOPS"))
    import torch
    from omegaconf import OmegaConf
    from pipeline import OfficialPipeline
    from torch_reference import blas_library

    torch.set_num_threads(int(job.get("threads", 1)))
    torch.manual_seed(0)
    pipe = OfficialPipeline(s4)
    cfg = pipe.compose(job.get("experiment", "lra/s4-cifar"), values=job.get("overrides"))
    hp = pipe.hparams(cfg)
    resolved = OmegaConf.to_container(hp, resolve=True)  # before build: train.py's setup mutates hp
    root, dataset = pipe.build(hp)
    root.eval()
    kind, width = pipe.input_kind(hp, dataset)
    batch, L = int(job.get("batch", 1)), int(job.get("L", 1024))
    x = torch.randint(0, width, (batch, L)) if kind == "tokens" else torch.randn(batch, L, width)
    z = {"lengths": torch.full((batch,), L, dtype=torch.long)} if pipe.uses_lengths(hp) else {}

    reps = int(job.get("reps", 5))
    with torch.no_grad():
        t = time.perf_counter()
        out = pipe.forward(root, x, **z)
        first = (time.perf_counter() - t) * 1e3
        times = timed(lambda: pipe.forward(root, x, **z), reps)
        cache_kernels(root)
        assert torch.equal(pipe.forward(root, x, **z), out), "cached kernels changed the output"
        cached = timed(lambda: pipe.forward(root, x, **z), reps)
    print(json.dumps({
        "ms": median(times), "ms_min": min(times), "first_ms": first, "ms_cached_kernels": median(cached),
        "batch": batch, "L": L, "output_shape": list(out.shape),
        "params": sum(p.numel() for p in root.parameters()),
        "config": {k: resolved.get(k) for k in ("model", "encoder", "decoder", "dataset", "task")},
        "torch": torch.__version__, "blas": blas_library(),
    }))


if __name__ == "__main__":
    main()
