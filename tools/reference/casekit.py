"""Shared pieces of the reference-case generators: safetensors output, a few training steps,
moving every tensor off its initial value, 16-bit casts, key prefixes and the checkpoint files
the official tooling writes (Lightning `last.ckpt`, `model.pt`, example.py's `ckpt.pth`)."""
import contextlib
import json
import math
import os
import struct
from collections import OrderedDict

import torch

_SAFETENSORS_DTYPES = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int64: "I64", torch.int32: "I32", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def write_safetensors(path, tensors):
    """The safetensors layout (8-byte little-endian header length, JSON header, raw little-endian data),
    tensors in the order given."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        t = tensor.detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": _SAFETENSORS_DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """The tensors of a safetensors file, in header order (float, int64 and 16-bit dtypes)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    dtypes = {v: k for k, v in _SAFETENSORS_DTYPES.items()}
    out = OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        buf = bytearray(data[8 + n + a:8 + n + b])
        dtype = dtypes[info["dtype"]]
        if dtype == torch.bfloat16:
            t = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16) if buf else torch.empty(0, dtype=dtype)
        else:
            t = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


# --- where torch.save says the storages lived -------------------------------------------------------
# Checkpoints written on a GPU name the storage location 'cuda:0' in the pickle; loaders must not care.
# torch picks the tag from its package registry, lowest priority first.
_location = {"tag": None}


def _location_tagger(_storage):
    return _location["tag"]


torch.serialization.register_package(0, _location_tagger, lambda storage, location: None)


@contextlib.contextmanager
def saved_as_if_on(location):
    previous = _location["tag"]
    _location["tag"] = None if location == "cpu" else location
    try:
        yield
    finally:
        _location["tag"] = previous


def save(obj, path, location="cpu"):
    with saved_as_if_on(location):
        torch.save(obj, path)


# --- training and moving off the initial values ---------------------------------------------------------

def optimizer_like_the_repo(module, lr=0.01, weight_decay=0.01):
    """AdamW with the S4 repository's grouping: tensors that carry an `_optim` dict (SSM parameters:
    their own lr / weight decay) in groups of their own, the rest in the main group."""
    params = list(module.parameters())
    plain = [p for p in params if not hasattr(p, "_optim")]
    opt = torch.optim.AdamW(plain, lr=lr, weight_decay=weight_decay)
    special = {}
    for p in params:
        if hasattr(p, "_optim"):
            special.setdefault(tuple(sorted(p._optim.items())), []).append(p)
    for hp, group in special.items():
        opt.add_param_group({"params": group, **{k: v for k, v in hp if v is not None}})
    return opt


def train_steps(module, run, make_batch, steps, opt):
    """A few real optimizer steps (train mode: batch norm statistics move, S4 kernels attune l_kernel)."""
    module.train()
    for _ in range(steps):
        x, kwargs = make_batch()
        y = run(module, x, **kwargs)
        loss = y.float().pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    module.eval()


@torch.no_grad()
def move_off_init(module, generator, scale=0.15, gentle=("kernel.P",)):
    """Perturb every floating tensor of the state_dict, as a longer training run would have moved it.
    Positive statistics (batch-norm running_var) are scaled instead of shifted; tensors whose names end
    with one of `gentle` (the DPLR low-rank term, where large moves can leave the stable region) get a
    tenth of the noise. Integer buffers (l_kernel, num_batches_tracked) keep their trained values."""
    for name, t in module.state_dict(keep_vars=True).items():
        if not t.is_floating_point():
            continue
        noise = torch.randn(t.shape, generator=generator, dtype=torch.float64).to(t.dtype)
        if name.endswith("running_var"):
            t.mul_(torch.exp(0.3 * noise))
            continue
        rms = float(t.double().pow(2).mean().sqrt()) if t.numel() else 0.0
        s = scale * max(rms, 0.1) * (0.1 if name.endswith(gentle) else 1.0)
        t.add_(s * noise)


def cast_state_dict(state_dict, dtype):
    """Floating tensors to `dtype` (a 16-bit checkpoint); integer buffers unchanged."""
    return OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in state_dict.items())


def widened(state_dict, dtype):
    return OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in state_dict.items())


def prefixed(state_dict, prefix):
    return OrderedDict((prefix + k, v) for k, v in state_dict.items())


def strip_prefix(state_dict, prefix):
    assert all(k.startswith(prefix) for k in state_dict), f"not every key starts with {prefix!r}"
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items())


class OrigModWrapper(torch.nn.Module):
    """What torch.compile returns (torch._dynamo OptimizedModule) keeps the model as `_orig_mod`;
    its state_dict keys carry that prefix. torch 1.13 has no torch.compile, so we hold it the same way."""

    def __init__(self, module):
        super().__init__()
        self._orig_mod = module


# --- Lightning's checkpoint dict without Lightning -------------------------------------------------------

def _progress(n):
    return {"total": {"ready": n, "started": n, "processed": n, "completed": n},
            "current": {"ready": n, "started": n, "processed": n, "completed": n}}


def lightning_checkpoint(state_dict, hparams, optimizer, scheduler, epoch, global_step, monitor, score,
                         run_dir, version="1.9.3", hparams_type=None):
    """The dict pytorch_lightning's CheckpointConnector.dump_checkpoint builds (1.9.x): epoch, global_step,
    version, state_dict, loops, callbacks (ModelCheckpoint's state), optimizer_states, lr_schedulers,
    and the hyper-parameters: hparams_name 'config' (train.py calls save_hyperparameters(config)),
    hyper_parameters (the omegaconf DictConfig itself) and hparams_type (its class)."""
    batches = global_step
    fit_loop = {
        "state_dict": {},
        "epoch_loop.state_dict": {"_batches_that_stepped": batches},
        "epoch_loop.batch_progress": {**_progress(batches), "is_last_batch": True},
        "epoch_loop.scheduler_progress": _progress(batches),
        "epoch_loop.batch_loop.state_dict": {},
        "epoch_loop.batch_loop.optimizer_loop.state_dict": {},
        "epoch_loop.batch_loop.optimizer_loop.optim_progress": {
            "optimizer": {"step": _progress(batches), "zero_grad": _progress(batches)}, "optimizer_position": 1},
        "epoch_loop.batch_loop.manual_loop.state_dict": {},
        "epoch_loop.batch_loop.manual_loop.optim_step_progress": _progress(0),
        "epoch_loop.val_loop.state_dict": {},
        "epoch_loop.val_loop.dataloader_progress": _progress(epoch + 1),
        "epoch_loop.val_loop.epoch_loop.state_dict": {},
        "epoch_loop.val_loop.epoch_loop.batch_progress": {**_progress(100), "is_last_batch": True},
        "epoch_progress": _progress(epoch),
    }
    empty_loop = {"state_dict": {}, "dataloader_progress": _progress(0),
                  "epoch_loop.state_dict": {}, "epoch_loop.batch_progress": {**_progress(0), "is_last_batch": False}}
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    best = os.path.join(ckpt_dir, monitor.replace("/", os.sep) + ".ckpt")
    mode = "max" if "accuracy" in monitor else "min"
    callback_key = (f"ModelCheckpoint{{'monitor': '{monitor}', 'mode': '{mode}', 'every_n_train_steps': 0, "
                    f"'every_n_epochs': 1, 'train_time_interval': None}}")
    ckpt = {
        "epoch": epoch,
        "global_step": global_step,
        "pytorch-lightning_version": version,
        "state_dict": state_dict,
        "loops": {"fit_loop": fit_loop, "validate_loop": dict(empty_loop), "test_loop": dict(empty_loop),
                  "predict_loop": {"state_dict": {}, "predict_progress": _progress(0)}},
        "callbacks": {callback_key: {
            "monitor": monitor, "best_model_score": torch.tensor(score), "best_model_path": best,
            "current_score": torch.tensor(score), "dirpath": ckpt_dir, "best_k_models": {best: torch.tensor(score)},
            "kth_best_model_path": best, "kth_value": torch.tensor(score),
            "last_model_path": os.path.join(ckpt_dir, "last.ckpt")}},
        "optimizer_states": [optimizer.state_dict()],
        "lr_schedulers": [scheduler.state_dict()] if scheduler is not None else [],
        "hparams_name": "config",
        "hyper_parameters": hparams,
    }
    if hparams_type is not None:
        ckpt["hparams_type"] = hparams_type
    return ckpt


def scheduler_like_the_config(optimizer, cfg):
    """The learning-rate scheduler the config names, stepped once per optimizer step, for lr_schedulers."""
    name = cfg.get("_name_") if cfg is not None else None
    if name == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=cfg.get("mode", "min"),
                                                          factor=cfg["factor"], patience=cfg["patience"])
    warmup = int(cfg.get("num_warmup_steps", 0) or 0) if cfg is not None else 0
    total = int(cfg.get("num_training_steps", 1) or 1) if cfg is not None else 1

    def cosine_with_warmup(step):
        if step < warmup:
            return step / max(1, warmup)
        progress = (step - warmup) / max(1, total - warmup)
        return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup if name == "cosine_warmup" else (lambda _: 1.0))


def cast_optimizer_state(state, dtype):
    """A 16-bit training run keeps its moments in the same width as the weights."""
    out = {"param_groups": state["param_groups"], "state": {}}
    for k, s in state["state"].items():
        out["state"][k] = {n: (v.to(dtype) if torch.is_tensor(v) and v.is_floating_point() and v.dim() > 0 else v)
                           for n, v in s.items()}
    return out


def max_abs(a, b):
    return float((a.double() - b.double()).abs().max())


def tolerance(reference):
    """The project's check: max|Δ| ≤ 1e-4 · max(1, max|reference|) (src/verify/tolerances.ts)."""
    return 1e-4 * max(1.0, float(reference.double().abs().max()))


def write_case_io(base, name, x, outs):
    """One case's io file, shared by the case makers: checks the float32 output against the float64 one
    within `tolerance`, writes <base>.io.safetensors (input, output, output_f64), prints the error and
    returns the case's size on disk (its .json, weights and io files) in KiB."""
    err, tol = max_abs(outs[torch.float32], outs[torch.float64]), tolerance(outs[torch.float64])
    assert err <= tol, f"{name}: float32 vs float64 differ by {err:.3g} > {tol:.3g}"
    write_safetensors(base + ".io.safetensors", OrderedDict(
        [("input", x), ("output", outs[torch.float32]), ("output_f64", outs[torch.float64])]))
    print(f"{name:24s} max|out32-out64| = {err:.2e}  (peak {float(outs[torch.float64].abs().max()):.3g})")
    return sum(os.path.getsize(base + s) for s in (".json", ".weights.safetensors", ".io.safetensors")) / 1024
