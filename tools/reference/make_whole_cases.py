#!/usr/bin/python3
"""Whole-model reference cases from the official state-spaces/s4 code (e757cef), written the way its
users have them: Lightning `last.ckpt`, `model.pt` + Hydra `config.yaml`, example.py `ckpt.pth`.

    /usr/bin/python3 tools/reference/make_whole_cases.py --s4-repo <s4 checkout> --einops <einops checkout> \
        [--out test/fixtures/whole] [--only NAME ...] [--list]

Per case: configs are composed from the official configs/ folder like Hydra does (experiment + overrides),
the model is built by the official constructors exactly as train.py's SequenceLightningModule.setup
composes them (task, encoder, backbone, decoder), trained for a few AdamW steps, then every tensor is
moved off its initial value. Outputs are computed in eval mode from the checkpoint files as written:
`output` with the official float32 modules, `output_f64` with the same modules in float64 (weights
widened). Each file form is loaded back with torch and re-run; the script fails if any form disagrees
or float32 and float64 differ beyond float32 accuracy. See README.md in this folder.
"""
import argparse
import copy
import json
import os
import shutil
import sys
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import official  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Case:
    name: str
    covers: str
    experiment: str = "base"                       # configs/experiment/<name>.yaml
    groups: Dict[str, str] = field(default_factory=dict)  # Hydra group overrides (pipeline=adding)
    values: Dict[str, Any] = field(default_factory=dict)  # Hydra value overrides (model.n_layers=2)
    replace: Dict[str, Any] = field(default_factory=dict)  # nodes replaced whole (a dataset with no config file)
    layers: Optional[List[Tuple[str, Dict[str, Any]]]] = None  # model.layer as a list of (option, overrides)
    vocab: Optional[int] = None                    # stand-in vocabulary size for datasets that build theirs from data
    length: int = 64                               # evaluated input length
    train_length: Optional[int] = None             # length of the training steps (sets DPLR l_kernel)
    batch: int = 2
    files: Tuple[str, ...] = ("last.ckpt",)
    dtype: str = "float32"                         # dtype of the saved weights
    prefix: Dict[str, str] = field(default_factory=dict)    # file -> key prefix ('module.', '_orig_mod.')
    location: Dict[str, str] = field(default_factory=dict)  # file -> storage location tag ('cuda:0')
    example_args: Optional[Dict[str, Any]] = None  # example.py S4Model(**args) instead of SequenceModel


S4 = "s4"

CASES = [
    Case("transposed_layernorm",
         "transposed backbone (transposed: true): every block and the final norm are TransposedLN (scalar m, s; "
         "no eps), FFN in its transposed form; pre-norm; S4 nplr/legs; mnist pipeline (linear encoder, pool decoder)",
         values={"model.transposed": True, "model.prenorm": True, "model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 16}), ("ffn", {})], length=64),
    Case("transposed_batchnorm",
         "transposed backbone with batch norm (running statistics) after the residual; cifar/s4-cifar experiment: "
         "bidirectional S4 kernel (layer.bidirectional), n_ssm 2, RGB input (d_input 3); eval length < l_kernel",
         experiment="cifar/s4-cifar",
         values={"model.transposed": True, "model.norm": "batch", "model.n_layers": 2, "model.d_model": 16,
                 "model.layer": {"d_state": 16}},
         length=50, train_length=64, files=("last.ckpt", "model.pt", "config.yaml"),
         location={"last.ckpt": "cuda:0", "model.pt": "cuda:0"}),
    Case("lra_cifar_small",
         "the LRA-CIFAR S4 configuration (lra/s4-cifar: nplr legs, bidirectional kernel, batch norm, post-norm, "
         "grayscale) at d_model 32, 2 layers, d_state 16",
         experiment="lra/s4-cifar",
         values={"model.n_layers": 2, "model.d_model": 32, "model.layer": {"d_state": 16}},
         length=64, files=("last.ckpt", "model.pt", "config.yaml")),
    Case("batchnorm_prenorm",
         "pre-norm batch norm in every block and as the final norm; adding pipeline (linear encoder with d_input 2, "
         "sequence decoder mode last, l_output 0, d_output 1; regression task); S4D diag-lin",
         groups={"pipeline": "adding"},
         values={"model.norm": "batch", "model.prenorm": True, "model.n_layers": 2, "model.d_model": 16,
                 "model.layer": {"d_state": 16, "mode": "diag", "init": "diag-lin"}},
         length=64, files=("model.pt", "config.yaml")),
    Case("norm_none_postnorm",
         "norm 'none' (Normalization wrapping Identity: no tensors) with post-norm; S4 dplr/legs with l_max null: "
         "eval length 100 > l_kernel 64, so the kernel doubles C~ during the forward",
         values={"model.norm": "none", "model.prenorm": False, "model.n_layers": 2, "model.d_model": 16,
                 "model.layer": {"d_state": 16, "mode": "dplr", "init": "legs", "l_max": None}},
         length=100, train_length=64),
    Case("prenorm_no_norm_dec_sum",
         "norm null (no norm module at all, no final norm) with pre-norm; sequence decoder mode sum (l_output 0: the "
         "sum over all positions); S4D diag-inv",
         values={"model.norm": None, "model.prenorm": True, "model.n_layers": 2, "model.d_model": 16,
                 "model.layer": {"d_state": 16, "mode": "diag", "init": "diag-inv"}, "decoder.mode": "sum"},
         length=64),
    Case("backbone_bidirectional",
         "backbone bidirectional (model.bidirectional: a second layer on the same input, concatenated, then "
         "bidirectional_linear) around bidirectional S4 kernels; lra/s4-imdb: embedding encoder, pre-norm batch norm, "
         "d_state 4, lr with dt null; decoder pool with use_lengths (lengths = full length passed in)",
         experiment="lra/s4-imdb", vocab=40,
         values={"model.bidirectional": True, "model.n_layers": 2, "model.d_model": 16},
         length=64),
    Case("kernels_dplr",
         "DPLR kernels under each mode name: nplr/legs, dplr/fout (fourier), s4/legt with rank 2; l_max null, so "
         "l_kernel is 32 from training and the eval length 64 doubles it",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 16, "mode": "nplr", "init": "legs", "l_max": None}),
                 (S4, {"d_state": 16, "mode": "dplr", "init": "fout", "l_max": None}),
                 (S4, {"d_state": 16, "mode": "s4", "init": "legt", "rank": 2, "l_max": None})],
         length=64, train_length=32),
    Case("kernels_diag",
         "diagonal kernels: diag/legs (S4D-LegS, the official default init), s4d/diag-inv with dt_transform exp, "
         "diag/diag-lin with disc bilinear",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 16, "mode": "diag", "init": "legs"}),
                 (S4, {"d_state": 16, "mode": "s4d", "init": "diag-inv", "dt_transform": "exp"}),
                 (S4, {"d_state": 16, "mode": "diag", "init": "diag-lin", "disc": "bilinear"})],
         length=64),
    Case("kernels_combos",
         "init combinations split over n_ssm copies: nplr/hippo (legs + fourier, n_ssm 2); diag/diag (diag-inv + "
         "diag-lin, n_ssm null = one per feature, dt_tie false: inv_dt [H, N/2]); diag/diag-real with real_transform relu",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 16, "mode": "nplr", "init": "hippo", "n_ssm": 2}),
                 (S4, {"d_state": 16, "mode": "diag", "init": "diag", "n_ssm": None, "dt_tie": False}),
                 (S4, {"d_state": 8, "mode": "diag", "init": "diag-real", "real_transform": "relu"})],
         length=64, files=("model.pt", "config.yaml")),
    Case("act_final_act",
         "S4Block activation / final_act variants: relu + final_act id (Linear, no activation); silu + final_act null "
         "(no output_linear); tanh + the deprecated postact glu (swapped into final_act)",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "activation": "relu", "final_act": "id"}),
                 (S4, {"d_state": 8, "mode": "diag", "activation": "silu", "final_act": None}),
                 (S4, {"d_state": 8, "mode": "nplr", "activation": "tanh", "final_act": None, "postact": "glu"})],
         length=64),
    Case("act_final_act_2",
         "S4Block activation elu + final_act gelu (Linear then GELU); activation id + final_act glu",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "init": "diag-lin", "activation": "elu", "final_act": "gelu"}),
                 (S4, {"d_state": 8, "mode": "nplr", "activation": "id", "final_act": "glu"})],
         length=64),
    Case("channels",
         "channels > 1: diag with channels 3 (D [3, H], C [3, H, N/2, 2], output_linear from 3H); nplr with channels 2 "
         "and a bidirectional kernel (4 kernel channels)",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "init": "diag-lin", "channels": 3}),
                 (S4, {"d_state": 8, "mode": "nplr", "channels": 2, "bidirectional": True})],
         length=64),
    Case("copying_dec_last",
         "synthetic/s4-copying: embedding encoder (n_tokens 8), sequence decoder mode last with l_output = l_memorize = 4; "
         "S4 fourier rank 2 with deterministic init (needs dt_transform exp) and dt_min/dt_max from an ${eval:...} "
         "interpolation",
         experiment="synthetic/s4-copying",
         values={"dataset.l_noise": 24, "dataset.l_memorize": 4, "dataset.n_tokens": 8, "model.n_layers": 2,
                 "model.d_model": 16, "model.layer": {"d_state": 16, "dt_transform": "exp"}},
         length=32, files=("last.ckpt", "model.pt", "config.yaml")),
    Case("copying_dec_first",
         "sequence decoder mode first with l_output 4 (the first 4 positions); S4D diag-lin",
         experiment="synthetic/s4-copying",
         values={"dataset.l_noise": 24, "dataset.l_memorize": 4, "dataset.n_tokens": 8, "model.n_layers": 2,
                 "model.d_model": 16, "decoder.mode": "first",
                 "model.layer": {"d_state": 8, "mode": "diag", "init": "diag-lin", "deterministic": False,
                                 "rank": 1, "dt_min": 0.001, "dt_max": 0.1}},
         length=32),
    Case("enc_id_dec_linear",
         "encoder id (input is already [B, L, d_model]) and decoder linear (nn.Linear per position, d_output 10 "
         "from mnist): output [B, L, 10]; S4D with init diag-legs",
         values={"encoder": "id", "decoder": "linear", "model.n_layers": 2, "model.d_model": 16,
                 "model.layer": {"d_state": 8, "mode": "diag", "init": "diag-legs"}},
         length=64),
    Case("enc_linear_dec_id_ddp",
         "decoder id (backbone output returned as is, [B, L, d_model]); model.pt saved from a DDP-wrapped module "
         "(every key prefixed 'module.')",
         values={"decoder": "id", "model.n_layers": 2, "model.d_model": 16, "model.layer": {"d_state": 8}},
         length=64, files=("model.pt", "config.yaml"), prefix={"model.pt": "module."}),
    Case("s4_ffn_cycle",
         "a list of layers cycling: [s4, ffn] x n_layers 2 = s4, ffn, s4, ffn (FFN: Linear + GELU, Linear)",
         values={"model.n_layers": 2, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "init": "diag-lin"}), ("ffn", {})],
         length=64),
    Case("s4d_layer",
         "the minimal S4D layer (models/s4/s4d.py, layer s4d) in the backbone: cifar/s4d-minimal-cifar (post-norm "
         "LayerNorm, RGB input); its output_linear is a Conv1d with weight [2H, H, 1]",
         experiment="cifar/s4d-minimal-cifar",
         values={"model.n_layers": 2, "model.d_model": 16, "model.layer": {"d_state": 16}},
         length=64, files=("last.ckpt", "model.pt", "config.yaml")),
    Case("task_lm_tied",
         "task lm (configs/task/lm.yaml, tied: true): the task adds its own Embedding x sqrt(d_model) in front "
         "(encoder.0, encoder.1 = Scalar) and a Linear to n_tokens after the sequence decoder (decoder.1), its weight "
         "tied to the embedding (one storage under two keys); pre-norm, s4 + ffn",
         vocab=32, groups={"task": "lm"}, replace={"dataset": {"_name_": "enwik8"}},
         values={"task.tied": True, "encoder": None, "decoder": {"_name_": "sequence", "mode": "last"},
                 "model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "init": "diag-inv"}), ("ffn", {})],
         length=64, files=("last.ckpt", "model.pt", "config.yaml")),
    Case("mha_copying_transposed",
         "nn.MultiheadAttention (layer mha, causal, 4 heads, bias false) in a transposed backbone after an S4 nplr "
         "layer; post-norm TransposedLN; copying pipeline",
         experiment="synthetic/s4-copying",
         values={"dataset.l_noise": 24, "dataset.l_memorize": 4, "dataset.n_tokens": 8, "model.transposed": True,
                 "model.prenorm": False, "model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 16, "mode": "nplr", "init": "legs", "rank": 1}),
                 ("mha", {"n_heads": 4, "bias": False})],
         length=32),
    Case("mha_lm",
         "causal mha (2 heads, with biases) first, then ffn and S4D, pre-norm with final LayerNorm; task lm untied "
         "(embedding x sqrt(d_model), Linear to n_tokens)",
         vocab=24, groups={"task": "lm"}, replace={"dataset": {"_name_": "enwik8"}},
         values={"encoder": None, "decoder": {"_name_": "sequence", "mode": "last"},
                 "model.n_layers": 1, "model.d_model": 16},
         layers=[("mha", {"n_heads": 2}), ("ffn", {}), (S4, {"d_state": 8, "mode": "diag"})],
         length=48, files=("last.ckpt", "model.pt", "config.yaml")),
    Case("fp16_weights",
         "weights saved in float16 (a true-half-precision run: moments in float16 too); S4 nplr + ffn; output and "
         "output_f64 computed from the float16 weights widened",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 16}), ("ffn", {})],
         length=64, files=("last.ckpt", "model.pt", "config.yaml"), dtype="float16"),
    Case("bf16_weights",
         "weights saved in bfloat16, batch-norm statistics included; cifar pipeline, S4D diag-inv; output and "
         "output_f64 from the bfloat16 weights widened",
         experiment="cifar/s4-cifar",
         values={"model.norm": "batch", "model.n_layers": 2, "model.d_model": 16,
                 "model.layer": {"d_state": 8, "mode": "diag", "init": "diag-inv", "bidirectional": False}},
         length=64, files=("last.ckpt", "model.pt", "config.yaml"), dtype="bfloat16"),
    Case("orig_mod_prefix",
         "model.pt saved from a torch.compile'd module: every key prefixed '_orig_mod.'; S4 dplr/legs",
         values={"model.n_layers": 2, "model.d_model": 16, "model.layer": {"d_state": 8, "mode": "dplr"}},
         length=64, files=("model.pt", "config.yaml"), prefix={"model.pt": "_orig_mod."}),
    Case("residual_decay",
         "residual D (DecayResidual: beta = i_layer^-power, alpha = sqrt(1 - beta^2)), three blocks so the "
         "first has alpha 0; S4D diag-lin",
         replace={"model.residual": {"_name_": "D", "power": 0.5}},
         values={"model.n_layers": 3, "model.d_model": 16, "model.layer": {"d_state": 8, "mode": "diag", "init": "diag-lin"}},
         length=48),
    Case("residual_affine",
         "residual A (Affine: alpha x + c y with the tensor residual.affine, one scale per feature: scalar false); "
         "layer norm with eps 1e-3 as a norm dict",
         replace={"model.residual": {"_name_": "A", "scalar": False, "gamma": 0.5},
                  "model.norm": {"_name_": "layer", "eps": 0.001}},
         values={"model.n_layers": 2, "model.d_model": 16, "model.layer": {"d_state": 8, "mode": "diag", "init": "diag-inv"}},
         length=48),
    Case("residual_highway",
         "residual H (Highway: r = sigmoid(Wx x + Wy y), z = 1.732 (1 - r) x + r y with scaling_correction), "
         "Linear Wx and Wy; batch norm without affine (no weight, bias) and eps 1e-3",
         replace={"model.residual": {"_name_": "H", "scaling_correction": True},
                  "model.norm": {"_name_": "batch", "affine": False, "eps": 0.001}},
         values={"model.n_layers": 2, "model.d_model": 16, "model.layer": {"d_state": 8, "mode": "diag", "init": "diag-lin"}},
         length=48),
    Case("residual_highway_elemwise",
         "residual H with elemwise true (Wy a tensor of one weight per feature) and no scaling correction",
         replace={"model.residual": {"_name_": "H", "elemwise": True}},
         values={"model.n_layers": 1, "model.d_model": 16, "model.layer": {"d_state": 8, "mode": "nplr"}},
         length=48),
    Case("residual_feedforward",
         "residual F (Feedforward: no skip, y only) with post-norm",
         replace={"model.residual": "F"},
         values={"model.prenorm": False, "model.n_layers": 2, "model.d_model": 16,
                 "model.layer": {"d_state": 8, "mode": "diag", "init": "diag-lin"}},
         length=48),
    Case("transposed_ln_ffn_variants",
         "transposed backbone with norm {_name_: layer, scalar: false} (TransposedLN wrapping an nn.LayerNorm: "
         "keys norm.norm.ln.*), pre-norm; FFNs with activation glu (first Linear twice as wide) and activation null "
         "(keys ff.0.*, no nn.Sequential)",
         replace={"model.norm": {"_name_": "layer", "scalar": False}},
         values={"model.transposed": True, "model.prenorm": True, "model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "init": "diag-lin"}), ("ffn", {"activation": "glu"}),
                 ("ffn", {"activation": None, "expand": 3})],
         length=48),
    Case("s4_activations",
         "S4Block with mult_act gelu and final_act glu-tanh; activation sqrelu; a second layer with activation "
         "laplace and final_act relu2",
         values={"model.n_layers": 1, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "init": "diag-lin", "activation": "sqrelu", "mult_act": "gelu",
                       "final_act": "glu-tanh"}),
                 (S4, {"d_state": 8, "mode": "nplr", "activation": "laplace", "final_act": "relu2"})],
         length=48),
    Case("task_lm_untied_norescale",
         "task lm with tied false and rescale false: the task's Embedding alone (encoder.0, no Scalar) and its own "
         "Linear to n_tokens (decoder.1) with a separate weight",
         vocab=20, groups={"task": "lm"}, replace={"dataset": {"_name_": "wt103"}},
         values={"task.tied": False, "task.rescale": False, "encoder": None,
                 "decoder": {"_name_": "sequence", "mode": "last"}, "model.n_layers": 2, "model.d_model": 16},
         layers=[(S4, {"d_state": 8, "mode": "diag", "init": "diag-lin"})],
         length=48, files=("last.ckpt", "model.pt", "config.yaml")),
    Case("example_prenorm",
         "example.py S4Model with prenorm true (LayerNorm before each S4D layer), RGB input; saved on a GPU "
         "(storage location cuda:0)",
         example_args={"d_input": 3, "d_output": 10, "d_model": 16, "n_layers": 3, "dropout": 0.1, "prenorm": True},
         length=64, files=("ckpt.pth",), location={"ckpt.pth": "cuda:0"}),
    Case("example_dataparallel",
         "example.py S4Model with prenorm false, trained under nn.DataParallel: ckpt.pth's model keys carry 'module.'",
         example_args={"d_input": 1, "d_output": 5, "d_model": 16, "n_layers": 2, "dropout": 0.1, "prenorm": False},
         length=50, files=("ckpt.pth",), prefix={"ckpt.pth": "module."}),
]


class Generator:
    def __init__(self, s4):
        import torch
        from omegaconf import DictConfig, OmegaConf
        from pipeline import OfficialPipeline
        self.torch, self.OmegaConf, self.DictConfig = torch, OmegaConf, DictConfig
        self.s4 = s4
        self.pipe = OfficialPipeline(s4)

    def compose(self, case):
        return self.pipe.compose(case.experiment, case.groups, case.values, case.replace, case.layers)

    def build(self, hp, case):
        return self.pipe.build(hp, case.vocab)

    def make_input(self, kind, width, batch, length, gen):
        torch = self.torch
        if kind == "tokens":
            return torch.randint(0, width, (batch, length), generator=gen)
        return torch.randn(batch, length, width, generator=gen)

    def extra_kwargs(self, hp, x):
        if self.pipe.uses_lengths(hp):
            return {"lengths": self.torch.full((x.shape[0],), x.shape[1], dtype=self.torch.long)}
        return {}

    # --- one case --------------------------------------------------------------------------------------------

    def make(self, case, out_dir):
        torch = self.torch
        from casekit import (OrigModWrapper, cast_optimizer_state, cast_state_dict, lightning_checkpoint, move_off_init,
                             optimizer_like_the_repo, prefixed, save, scheduler_like_the_config, train_steps)
        seed = zlib.crc32(case.name.encode())
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        example = case.example_args is not None

        if example:
            S4Model = official.example_s4model(self.s4)
            root = S4Model(**case.example_args)
            kind, width = "float", case.example_args["d_input"]
            run = lambda m, x, **z: m(x)
            hp = cfg = None
        else:
            cfg = self.compose(case)
            hp = self.pipe.hparams(cfg)
            pristine = copy.deepcopy(hp)
            root, dataset = self.build(hp, case)
            kind, width = self.pipe.input_kind(pristine, dataset)
            run = self.pipe.forward
        initial = {k: v.detach().clone() for k, v in root.state_dict().items()}

        # A few optimizer steps (batch-norm statistics, l_kernel, optimizer state), then every tensor moved.
        train_len = case.train_length or case.length
        opt = optimizer_like_the_repo(root, lr=0.01, weight_decay=0.01)
        sched = None if example else scheduler_like_the_config(opt, self.OmegaConf.to_container(hp.scheduler, resolve=True)
                                                                if "scheduler" in hp else None)
        steps = 3

        def batch():
            x = self.make_input(kind, width, case.batch, train_len, gen)
            return x, ({} if example else self.extra_kwargs(pristine, x))

        train_steps(root, run, batch, steps, opt)
        if sched is not None:
            for _ in range(steps):
                sched.step(0.5) if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau) else sched.step()
        move_off_init(root, gen)
        state = root.state_dict()
        unmoved = [k for k, v in state.items() if v.is_floating_point() and torch.equal(v, initial[k])]
        assert not unmoved, f"{case.name}: tensors still at their initial values: {unmoved}"

        dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[case.dtype]
        saved = cast_state_dict(state, dtype) if dtype != torch.float32 else OrderedDict(state)
        opt_state = opt.state_dict()
        if dtype != torch.float32:
            opt_state = cast_optimizer_state(opt_state, dtype)

        os.makedirs(out_dir, exist_ok=True)
        for f in os.listdir(out_dir):
            os.remove(os.path.join(out_dir, f))
        for fname in case.files:
            path = os.path.join(out_dir, fname)
            loc = case.location.get(fname, "cpu")
            pfx = case.prefix.get(fname, "")
            sd = prefixed(saved, pfx) if pfx else saved
            if pfx == "module.":  # what DataParallel / DDP hold; check the prefix is the wrapper's own
                assert list(torch.nn.DataParallel(root).state_dict()) == list(sd)
            if pfx == "_orig_mod.":
                assert list(OrigModWrapper(root).state_dict()) == list(sd)
            if fname == "last.ckpt":
                ckpt = lightning_checkpoint(
                    sd, hp, _OptimizerState(opt_state), sched, epoch=11, global_step=steps * 200,
                    monitor=cfg.train.monitor, score=0.875, run_dir=f"/home/user/s4/outputs/2023-03-01/12-00-00-{case.name}",
                    version="1.9.3" if dtype == torch.float32 else "2.1.3", hparams_type=self.DictConfig)
                save(ckpt, path, loc)
            elif fname == "model.pt":
                save(sd, path, loc)  # checkpoints/convert_pl_to_pt.py: torch.save(ckpt['state_dict'], ...)
            elif fname == "config.yaml":
                with open(path, "w") as f:
                    f.write(self.OmegaConf.to_yaml(cfg))  # Hydra: OmegaConf.save(cfg) -> .hydra/config.yaml
            elif fname == "ckpt.pth":
                save({"model": sd, "acc": 71.25, "epoch": 9}, path, loc)  # example.py's checkpoint
            else:
                raise ValueError(fname)

        # Outputs from the files as written, every form re-run.
        x = self.make_input(kind, width, case.batch, case.length, gen)
        z = {} if example else self.extra_kwargs(pristine, x)
        outputs = {}
        for fname in case.files:
            if fname == "config.yaml":
                continue
            outputs[fname] = self.run_file(case, out_dir, fname, x, z, torch.float32, run)
        first = next(iter(outputs.values()))
        for fname, out in outputs.items():
            assert torch.equal(out, first), f"{case.name}: {fname} gives a different float32 output"
        out64 = self.run_file(case, out_dir, next(iter(outputs)), x, z, torch.float64, run)
        from casekit import max_abs, tolerance, write_safetensors
        err = max_abs(first, out64)
        tol = tolerance(out64)
        assert err <= tol, f"{case.name}: float32 vs float64 differ by {err:.3g} > {tol:.3g}"

        io = OrderedDict([("input", x), ("output", first), ("output_f64", out64)])
        for k, v in z.items():
            io[k] = v
        write_safetensors(os.path.join(out_dir, "io.safetensors"), io)
        meta = self.case_json(case, pristine if not example else None, x, first, err,
                              dataset if not example else None, z)
        with open(os.path.join(out_dir, "case.json"), "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
        return err, float(out64.abs().max())

    def load_state_dict_from(self, case, out_dir, fname):
        from casekit import strip_prefix
        torch = self.torch
        obj = torch.load(os.path.join(out_dir, fname), map_location="cpu")
        sd = {"last.ckpt": lambda o: o["state_dict"], "model.pt": lambda o: o, "ckpt.pth": lambda o: o["model"]}[fname](obj)
        pfx = case.prefix.get(fname, "")
        if pfx:
            sd = strip_prefix(sd, pfx)
        return obj, sd

    def run_file(self, case, out_dir, fname, x, z, dtype, run):
        """Rebuild the model from what the file (or the Hydra config beside it) says, load the file's weights
        widened to dtype, run in eval mode."""
        from casekit import widened
        torch = self.torch
        obj, sd = self.load_state_dict_from(case, out_dir, fname)
        if case.example_args is not None:
            root = official.example_s4model(self.s4)(**case.example_args)
        elif fname == "last.ckpt":
            root, _ = self.build(copy.deepcopy(obj["hyper_parameters"]), case)
        else:
            cfg = self.OmegaConf.load(os.path.join(out_dir, "config.yaml"))
            root, _ = self.build(self.pipe.hparams(cfg), case)
        root = root.to(dtype)
        root.load_state_dict(widened(sd, dtype), strict=True)
        root.eval()
        with torch.no_grad():
            xin = x.to(dtype) if x.is_floating_point() else x
            return run(root, xin, **z).to(dtype)

    def case_json(self, case, hp, x, out, err, dataset, z):
        meta = OrderedDict()
        if case.example_args is not None:
            meta["module"] = "state-spaces/s4 example.py S4Model"
            meta["args"] = case.example_args
        else:
            meta["module"] = "state-spaces/s4 SequenceModel + task encoder/decoder"
            meta["experiment"] = case.experiment
            if case.groups:
                meta["group_overrides"] = case.groups
            resolved = self.OmegaConf.to_container(hp, resolve=True)
            meta["config"] = {k: resolved.get(k) for k in ("model", "encoder", "decoder", "dataset", "task")}
            attrs = {}
            for name in ("d_input", "d_output", "l_output", "n_tokens"):
                try:
                    value = getattr(dataset, name)
                except (AttributeError, TypeError):
                    continue
                attrs[name] = value
            meta["dataset_attrs"] = attrs
            if case.vocab is not None:
                meta["dataset_note"] = f"n_tokens comes from a stand-in vocabulary of {case.vocab} symbols (the real one is built from the data)"
        meta["covers"] = case.covers
        meta["files"] = {f: {"dtype": case.dtype if f != "config.yaml" else None,
                             "key_prefix": case.prefix.get(f, ""),
                             "storage_location": case.location.get(f, "cpu") if f != "config.yaml" else None}
                         for f in case.files}
        for f in meta["files"].values():
            for k in [k for k, v in f.items() if v is None]:
                del f[k]
        meta["input"] = {"dtype": str(x.dtype).replace("torch.", ""), "shape": list(x.shape)}
        meta["output"] = {"shape": list(out.shape)}
        if z:
            meta["forward_kwargs"] = {k: v.tolist() for k, v in z.items()}
            meta["forward_note"] = ("the dataloader passes these to the whole pipeline (S4Block masks positions >= length, "
                                    "the decoder restricts each sequence to its length); here every length is the "
                                    "full length, so both are no-ops")
        meta["max_abs_output_vs_output_f64"] = float(f"{err:.3g}")
        return meta


class _OptimizerState:
    """lightning_checkpoint asks the optimizer for its state_dict; hand it the (possibly cast) one."""

    def __init__(self, state):
        self._state = state

    def state_dict(self):
        return self._state


def write_index(out_root, cases):
    rows = []
    total = 0
    for case in cases:
        d = os.path.join(out_root, case.name)
        if not os.path.isdir(d):
            continue
        files = sorted(os.listdir(d))
        size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        total += size
        forms = ", ".join(f for f in case.files)
        rows.append(f"| `{case.name}` | {case.covers} | {forms} ({case.dtype}) | {size / 1024:.0f} KiB |")
    text = [
        "# Whole-model reference cases (state-spaces/s4 at e757cef)",
        "",
        "Made by `tools/reference/make_whole_cases.py` from the official code (README.md there says how to run it",
        "and `tools/reference/sequence-model.md` what each piece computes). Each folder holds the user's files",
        "(`last.ckpt`: a Lightning checkpoint with `state_dict` and `hyper_parameters`; `model.pt`: the bare",
        "state_dict as `checkpoints/convert_pl_to_pt.py` writes it, with `config.yaml` as Hydra's",
        "`.hydra/config.yaml`; `ckpt.pth`: example.py's checkpoint), `io.safetensors` (`input`, the official",
        "float32 `output`, `output_f64` — the value to compare against — and any extra forward argument) and",
        "`case.json` (the module, the resolved config, what the dataset supplies, the file forms with their dtype,",
        "key prefix and storage location, shapes, and the measured max |output − output_f64|).",
        "",
        "| folder | covers | files (weights dtype) | size |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Total: {total / 1024:.0f} KiB.",
        "",
    ]
    with open(os.path.join(out_root, "README.md"), "w") as f:
        f.write("\n".join(text))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    official.add_repo_arguments(parser)
    parser.add_argument("--out", default=os.path.join(REPO, "test", "fixtures", "whole"))
    parser.add_argument("--only", nargs="*", help="case names")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args()
    if args.list:
        for c in CASES:
            print(f"{c.name:28s} {c.covers}")
        return
    s4 = official.load_s4(args.s4_repo, args.einops)
    import torch
    torch.set_num_threads(1)
    gen = Generator(s4)
    selected = [c for c in CASES if not args.only or c.name in args.only]
    unknown = set(args.only or []) - {c.name for c in CASES}
    if unknown:
        sys.exit(f"error: unknown case(s): {', '.join(sorted(unknown))}")
    for case in selected:
        err, peak = gen.make(case, os.path.join(args.out, case.name))
        print(f"{case.name:28s} max|out32-out64| = {err:.2e}  (peak {peak:.3g})")
    total = write_index(args.out, CASES)
    print(f"{len(selected)} case(s) written to {args.out}; all cases {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
