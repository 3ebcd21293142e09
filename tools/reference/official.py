"""Import the official state-spaces/s4 and lucidrains/gated-state-spaces-pytorch code from a checkout.

Nothing of the official code lives in this repository: the scripts take the checkouts' paths from the
command line (--s4-repo, --gss-repo, --einops) or the environment (SSMC_S4_REPO, SSMC_GSS_REPO,
SSMC_EINOPS). README.md in this folder says how to get them.

The training stack the official modules import only for helpers (hydra's class lookup, Lightning's
rank-zero logging decorator, rich printing, torchmetrics/sklearn metrics, the dataset libraries) is
not installed with Debian's torch. We register stand-ins for exactly those names; the model code
itself runs unchanged.
"""
import ast
import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from types import SimpleNamespace

S4_COMMIT = "e757cef"
GSS_COMMIT = "d484cf5"

# Libraries the official modules import at module level but use only to load data, log or score.
_INERT_ROOTS = (
    "torchvision", "torchaudio", "torchtext", "PIL", "pandas", "datasets", "transformers",
    "sklearn", "torchmetrics", "h5py", "tqdm", "sktime", "wandb",
)


def add_repo_arguments(parser, s4=True, gss=False):
    if s4:
        parser.add_argument("--s4-repo", default=os.environ.get("SSMC_S4_REPO"),
                            help=f"checkout of state-spaces/s4 at {S4_COMMIT} (or SSMC_S4_REPO)")
    if gss:
        parser.add_argument("--gss-repo", default=os.environ.get("SSMC_GSS_REPO"),
                            help=f"checkout of lucidrains/gated-state-spaces-pytorch at {GSS_COMMIT} (or SSMC_GSS_REPO)")
    parser.add_argument("--einops", default=os.environ.get("SSMC_EINOPS"),
                        help="checkout of arogozhnikov/einops (pure Python; or SSMC_EINOPS); not needed if einops is installed")


def _require_dir(path, what, marker):
    if not path:
        sys.exit(f"error: the {what} checkout is not given: pass its path on the command line or set the environment "
                 f"variable (see tools/reference/README.md)")
    if not os.path.exists(os.path.join(path, marker)):
        sys.exit(f"error: {path} does not look like a {what} checkout (no {marker})")
    return os.path.abspath(path)


def _add_einops(path):
    if path:
        root = _require_dir(path, "einops", "einops/__init__.py")
        if root not in sys.path:
            sys.path.insert(0, root)
    try:
        import einops  # noqa: F401
    except ImportError:
        sys.exit("error: einops is not importable: pass --einops <checkout of arogozhnikov/einops> (see README.md)")


class _InertModule(types.ModuleType):
    """A module whose every attribute is another inert module: enough for `import x.y as z`,
    `from x import Y` and attribute access at import time, and nothing that would compute."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        child = _InertModule(f"{self.__name__}.{name}")
        setattr(self, name, child)
        return child

    def __call__(self, *args, **kwargs):
        return _InertModule(f"{self.__name__}()")


class _InertFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in _INERT_ROOTS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _InertModule(spec.name)

    def exec_module(self, module):
        module.__path__ = []


def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


def _get_by_path(path):
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def install_stand_ins():
    """hydra.utils.get_method/get_class (the only hydra the model code calls), Lightning's rank_zero_only,
    rich, and inert modules for the data/metrics libraries."""
    if getattr(install_stand_ins, "done", False):
        return
    hydra = _module("hydra")
    hydra.utils = _module("hydra.utils", get_method=_get_by_path, get_class=_get_by_path,
                          get_object=_get_by_path)
    pl = _module("pytorch_lightning")
    pl.utilities = _module("pytorch_lightning.utilities", rank_zero_only=lambda fn: fn)
    rich = _module("rich")
    rich.syntax = _module("rich.syntax")
    rich.tree = _module("rich.tree")
    sys.meta_path.insert(0, _InertFinder())
    install_stand_ins.done = True


def load_s4(repo, einops=None):
    """Import the official S4 modules. Returns a namespace of the pieces train.py composes."""
    root = _require_dir(repo, f"state-spaces/s4 ({S4_COMMIT})", "src/models/sequence/backbones/model.py")
    _add_einops(einops)
    if root not in sys.path:
        sys.path.insert(0, root)
    install_stand_ins()
    import logging
    logging.getLogger().setLevel(logging.ERROR)  # the kernels log their construction at INFO

    from omegaconf import OmegaConf
    import src.models.nn.utils as nn_utils
    import src.models.sequence
    import src.models.sequence.base
    import src.tasks.decoders as decoders
    import src.tasks.encoders as encoders
    import src.tasks.tasks as tasks
    import src.utils as utils
    import src.utils.registry as registry
    from src.dataloaders.base import SequenceDataset
    import src.dataloaders  # noqa: F401  (fills SequenceDataset.registry)
    from src.utils.config import omegaconf_filter_keys

    # mha.py imports `models.sequence.base`, which does not exist at e757cef (it lives under src/):
    # alias that one module and nothing else.
    sys.modules.setdefault("models.sequence", src.models.sequence)
    sys.modules.setdefault("models.sequence.base", src.models.sequence.base)
    if not OmegaConf.has_resolver("eval"):
        OmegaConf.register_new_resolver("eval", eval)  # as train.py's process_config does
    return SimpleNamespace(root=root, utils=utils, registry=registry, encoders=encoders, decoders=decoders,
                           tasks=tasks, nn_utils=nn_utils, datasets=SequenceDataset.registry,
                           filter_keys=omegaconf_filter_keys, configs=os.path.join(root, "configs"))


def example_s4model(s4):
    """example.py's S4Model class. example.py parses arguments and loads CIFAR at import time, so we
    execute only its `class S4Model` statement, with the two globals it reads (`args.lr` for the S4D
    learning rate, `dropout_fn` = nn.Dropout1d, what example.py picks on torch >= 1.12)."""
    import torch
    from torch import nn
    from models.s4.s4d import S4D
    path = os.path.join(s4.root, "example.py")
    with open(path) as f:
        tree = ast.parse(f.read(), filename=path)
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "S4Model"]
    if len(classes) != 1:
        sys.exit(f"error: {path} has no class S4Model")
    namespace = {"torch": torch, "nn": nn, "S4D": S4D, "dropout_fn": nn.Dropout1d,
                 "args": SimpleNamespace(lr=0.01), "__name__": "example"}
    exec(compile(ast.Module(body=classes, type_ignores=[]), path, "exec"), namespace)
    return namespace["S4Model"]


def load_gss(repo, einops=None):
    root = _require_dir(repo, f"lucidrains/gated-state-spaces-pytorch ({GSS_COMMIT})",
                        "gated_state_spaces_pytorch/mhesa.py")
    _add_einops(einops)
    if root not in sys.path:
        sys.path.insert(0, root)
    import gated_state_spaces_pytorch as gss
    return gss
