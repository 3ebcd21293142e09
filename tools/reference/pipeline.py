"""The official train.py pipeline without Lightning: config composition (Hydra-like), process_config's
key filtering, SequenceLightningModule.setup's composition of task / encoder / backbone / decoder, and
its forward. Everything it builds is the official code's own modules."""
import torch
from omegaconf import DictConfig, OmegaConf

from compose import Composer

# A layer list entry for the FFN, written as the official list configs (s4s4ff.yaml, transformer.yaml) write
# it: configs/model/layer/ff.yaml itself does not load (a duplicate `dropout` key, a `${model.tie_dropout,null}`
# interpolation OmegaConf >= 2.1 rejects).
FFN = {"_name_": "ffn", "expand": 2, "activation": "gelu", "dropout": "${...dropout}"}


class LightningModuleLike(torch.nn.Module):
    """The tensors of train.py's SequenceLightningModule: model, encoder, decoder, registered in that order
    (state_dict keys model.*, encoder.*, decoder.*)."""

    def __init__(self, model, encoder, decoder):
        super().__init__()
        self.model = model
        self.encoder = encoder
        self.decoder = decoder


class OfficialPipeline:
    def __init__(self, s4):
        self.s4 = s4
        self.composer = Composer(s4.configs)

    def compose(self, experiment, groups=None, values=None, replace=None, layers=None):
        """Hydra's composed config for `experiment=<experiment>` plus overrides; `layers` replaces model.layer
        by a list of (option, overrides) from configs/model/layer (option 'ffn': the FFN entry above)."""
        cfg = self.composer.compose(group_overrides={"experiment": experiment, **(groups or {})},
                                    value_overrides=values)
        for key, value in (replace or {}).items():
            OmegaConf.update(cfg, key, value, merge=False)
        if layers is not None:
            cfg.model.layer = [OmegaConf.create(dict(FFN, **over)) if option == "ffn" else self.composer.layer(option, **over)
                               for option, over in layers]
        return cfg

    def hparams(self, cfg):
        """train.py process_config: interpolations resolved, keys starting with '__' dropped."""
        hp = self.s4.filter_keys(cfg, lambda k: not k.startswith("__"))
        OmegaConf.set_struct(hp, False)
        return hp

    def dataset(self, hp, vocab=None):
        """The official dataset class, constructed but not set up (no data read): it supplies d_input,
        d_output, l_output, n_tokens. Datasets that build their vocabulary from the data get a stand-in one."""
        cfg = OmegaConf.to_container(hp.dataset, resolve=True)
        ds = self.s4.datasets[cfg["_name_"]](**cfg)
        if vocab is not None:
            ds.vocab = [f"<{i}>" for i in range(vocab)]
        return ds

    def build(self, hp, vocab=None):
        """train.py SequenceLightningModule.setup: the encoder/decoder lists, the model, the task, then the
        task's encoder in front of the config's and the task's decoder after the config's. Mutates hp as
        train.py mutates its hparams (model.encoder / model.decoder popped, layers given dropout, transposed)."""
        s4, utils = self.s4, self.s4.utils
        dataset = self.dataset(hp, vocab)
        encoder_cfg = utils.to_list(hp.encoder) + utils.to_list(hp.model.pop("encoder", None))
        decoder_cfg = utils.to_list(hp.model.pop("decoder", None)) + utils.to_list(hp.decoder)
        model = utils.instantiate(s4.registry.model, hp.model)
        task = utils.instantiate(s4.tasks.registry, hp.task, dataset=dataset, model=model)
        encoder = s4.encoders.instantiate(encoder_cfg, dataset=dataset, model=model)
        decoder = s4.decoders.instantiate(decoder_cfg, model=model, dataset=dataset)
        U = s4.nn_utils
        root = LightningModuleLike(model, U.PassthroughSequential(task.encoder, encoder),
                                   U.PassthroughSequential(decoder, task.decoder))
        return root, dataset

    @staticmethod
    def forward(root, x, **z):
        """train.py SequenceLightningModule.forward (z: the dataloader's extra arguments, e.g. lengths)."""
        x, w = root.encoder(x, **z)
        x, state = root.model(x, **w, state=None)
        x, w = root.decoder(x, state=state, **z)
        return x

    def input_kind(self, hp, dataset):
        """('tokens', n_tokens) or ('float', width) for the pipeline's input."""
        names = [e if isinstance(e, str) else (e or {}).get("_name_") for e in self.s4.utils.to_list(hp.encoder)]
        if hp.task._name_ == "lm" or "embedding" in names:
            return "tokens", int(dataset.n_tokens)
        if "id" in names:
            return "float", int(hp.model.d_model)
        return "float", int(dataset.d_input)

    @staticmethod
    def uses_lengths(hp):
        return isinstance(hp.decoder, DictConfig) and bool(hp.decoder.get("use_lengths", False))
