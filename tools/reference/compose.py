"""Compose a config from the official repository's configs/ folder the way Hydra does for train.py.

Hydra is not installed with Debian's torch; this reproduces the part of its composition the S4
configs use: a defaults list per file (`_self_`, same-group options, `group: option`,
`/absolute/group: option`, a list of options, `override group: option` anywhere in the tree),
`# @package _global_` headers (otherwise a file lands at its group's path), and command-line style
`key.path=value` overrides applied last. Interpolations stay unresolved, as Hydra keeps them in
`.hydra/config.yaml`.
"""
import os
import re

from omegaconf import DictConfig, ListConfig, OmegaConf


class Composer:
    def __init__(self, configs_dir):
        self.configs = configs_dir

    def _read(self, group, option):
        path = os.path.join(self.configs, group, f"{option}.yaml") if group else os.path.join(self.configs, f"{option}.yaml")
        with open(path) as f:
            text = f.read()
        is_global = re.search(r"^#\s*@package\s+_global_\s*$", text, re.M) is not None
        cfg = OmegaConf.load(path)
        defaults = []
        if isinstance(cfg, DictConfig) and "defaults" in cfg:
            defaults = OmegaConf.to_container(cfg.defaults)
            cfg.pop("defaults")
        package = "" if is_global else group.replace("/", ".")
        return package, cfg, defaults

    @staticmethod
    def _entries(defaults, group):
        """(kind, group, options) per defaults entry; kind is 'self', 'use' or 'override'."""
        out = []
        for entry in defaults:
            if entry == "_self_":
                out.append(("self", None, None))
                continue
            if isinstance(entry, str):
                out.append(("use", group, [entry]))
                continue
            (key, value), = entry.items()
            kind = "use"
            if key.startswith("override "):
                kind, key = "override", key[len("override "):].strip()
            target = key[1:] if key.startswith("/") else (f"{group}/{key}" if group else key)
            if value is None:
                continue
            out.append((kind, target, value if isinstance(value, list) else [value]))
        return out

    def _walk(self, group, option, overrides, found, merges, depth=0):
        package, cfg, defaults = self._read(group, option)
        entries = self._entries(defaults, group)
        if not any(kind == "self" for kind, _, _ in entries):
            entries.append(("self", None, None))  # Hydra >= 1.1: _self_ last unless placed
        for kind, target, options in entries:
            if kind == "self":
                merges.append((package, cfg))
            elif kind == "override":
                # An override higher in the tree (nearer the primary config) beats one below it.
                if target not in found or found[target][0] > depth:
                    found[target] = (depth, options)
            else:
                for opt in overrides.get(target, options):
                    self._walk(target, opt, overrides, found, merges, depth + 1)

    def compose(self, primary="config", group_overrides=None, value_overrides=None):
        """group_overrides: {'experiment': 'lra/s4-cifar', ...}; value_overrides: {'model.n_layers': 2, ...}."""
        explicit = {k: v if isinstance(v, list) else [v] for k, v in (group_overrides or {}).items()}
        overrides = dict(explicit)
        for _ in range(4):  # overrides found in the tree can change which files are read
            found, merges = {}, []
            self._walk("", primary, overrides, found, merges)
            merged = {**{k: v for k, (_, v) in found.items()}, **explicit}
            if merged == overrides:
                break
            overrides = merged
        cfg = OmegaConf.create({})
        for package, node in merges:
            if package:
                for key in reversed(package.split(".")):
                    node = {key: node}
            cfg = OmegaConf.merge(cfg, node)
        cfg.pop("hydra", None)  # Hydra saves its own node to hydra.yaml, not config.yaml
        OmegaConf.set_struct(cfg, False)
        for key, value in (value_overrides or {}).items():
            OmegaConf.update(cfg, key, value, merge=isinstance(value, dict) and not isinstance(
                OmegaConf.select(cfg, key, throw_on_missing=False), ListConfig))
        return cfg

    def layer(self, option, **overrides):
        """One model/layer option as it would appear in the composed config, with overrides."""
        _, cfg, defaults = self._read("model/layer", option)
        base = OmegaConf.create({})
        for kind, target, options in self._entries(defaults, "model/layer"):
            if kind == "use":
                for opt in options:
                    base = OmegaConf.merge(base, self.layer(opt))
        return OmegaConf.merge(base, cfg, overrides)
