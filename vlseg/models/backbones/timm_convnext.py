"""ConvNeXt image encoder through timm, with LanGuideMedSeg's global feature.

The image encoder of Ariadne's Thread / LanGuideMedSeg (Zhong et al., MICCAI
2023; ``Junelin2333/LanGuideMedSeg-MICCAI2023``, ``utils/model.py``,
``VisionModel``) and of TMCA: ConvNeXt-Tiny, trainable, stage outputs
96@56, 192@28, 384@14 and 768@7 for a 224 x 224 input. The authors load the
Hugging Face ``facebook/convnext-tiny-224`` model; we build the same network
with timm (``features_only=True``) and never touch the network: ImageNet weights
come from a local file only.

Global feature: the authors' ``VisionModel`` takes the Hugging Face
``pooler_output``, i.e. the mean of the last stage over H and W followed by the
model's final LayerNorm; TMCA's "global pooled feature" (TSDM-G) is the same
vector. Here it is ``global_norm(last_map.mean((2, 3)))`` where ``global_norm``
is loaded from timm's classifier-head norm (``head.norm``). The authors' linear
``project_head`` (768 -> 512) is not part of the backbone: a loss that needs a
projection owns it. One difference from the authors: Hugging Face's final
LayerNorm uses ``eps=1e-12``, timm's (and ours) ``1e-6``.
"""
from __future__ import annotations

import os
import re
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule

from vlseg.registry import MODELS

# Keys of a timm classification checkpoint that a feature extractor never uses.
_CLASSIFIER_PREFIXES = ('head.fc.',)
_GLOBAL_NORM_PREFIX = 'head.norm.'


def _read_state_dict(path: str) -> dict[str, torch.Tensor]:
    """A state dict from a local ``.pth``/``.pt``/``.bin`` or ``.safetensors`` file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f'TimmConvNeXt: pretrained weights not found: {path}. The backbone never '
            'downloads: save the state dict of the timm classification model (e.g. '
            "torch.save(timm.create_model('convnext_tiny', pretrained=True).state_dict(), "
            'path) on a machine with internet access) and point pretrained_path to it.')
    if path.endswith('.safetensors'):
        from safetensors.torch import load_file
        state = load_file(path, device='cpu')
    else:
        # A foreign file: weights only (plain tensors), never arbitrary objects.
        state = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model', 'state_dict_ema'):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
            break
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                              for v in state.values()):
        raise TypeError(f'TimmConvNeXt: {path} does not hold a state dict of tensors')
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


@MODELS.register_module()
class TimmConvNeXt(BaseModule):
    """ConvNeXt feature pyramid (strides 4/8/16/32) plus a global vector, via timm.

    ``timm.create_model(model_name, pretrained=False, features_only=True,
    out_indices=out_indices)`` builds the network; nothing is ever downloaded.

    Output contract: ``forward(x)`` returns a tuple. Its first ``len(out_indices)``
    entries are the feature maps ``(B, C_i, H / s_i, W / s_i)`` described by
    ``out_channels`` and ``strides``; with ``with_global=True`` one more entry
    follows: the global feature ``(B, global_channels)`` = final LayerNorm of the
    mean of the deepest map (LanGuideMedSeg's ``pooler_output``). Decode heads pick
    maps with ``in_index=(0, 1, 2, 3)``; note that mmseg's default ``in_index=-1``
    would pick the global vector, so set ``in_index`` explicitly (or
    ``with_global=False``).

    Args:
        model_name: a timm ConvNeXt name, ``'convnext_tiny'`` as the authors.
        pretrained_path: local ``.pth``/``.safetensors`` state dict of the timm
            *classification* model (``timm.create_model(model_name).state_dict()``,
            e.g. ``convnext_tiny.fb_in1k``; the same ImageNet-1k weights as the
            authors' ``facebook/convnext-tiny-224``). Keys are mapped to the
            features-only model and must match exactly: the classifier
            (``head.fc.*``) is the only part left unused (``head.norm.*`` too when
            ``with_global=False``); anything else missing or unexpected raises,
            naming the file and the keys. Loaded at construction, so a wrong path
            fails when the model is built. ``None``: random init.
        out_indices: stages to return (0..3).
        with_global: append the global pooled feature to the outputs. Requires
            the last stage among ``out_indices``.
        drop_path_rate: stochastic depth of the ConvNeXt blocks (0 as the authors).
        frozen_stages: ``-1`` trains everything; ``0`` freezes the stem; ``k > 0``
            the stem and the first ``k`` stages (kept in eval mode too).
        init_cfg: mmengine init config; not combinable with ``pretrained_path``.

    Attributes:
        out_channels: channels of the returned maps, e.g. ``[96, 192, 384, 768]``.
        strides: their strides, ``(4, 8, 16, 32)``.
        global_channels: width of the global vector (``None`` without it).
    """

    def __init__(self,
                 model_name: str = 'convnext_tiny',
                 pretrained_path: Optional[str] = None,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 with_global: bool = True,
                 drop_path_rate: float = 0.0,
                 frozen_stages: int = -1,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if pretrained_path is not None and init_cfg is not None:
            raise ValueError('TimmConvNeXt: give pretrained_path or init_cfg, not both')
        import timm
        self.model_name = model_name
        self.out_indices = tuple(int(i) for i in out_indices)
        self.model = timm.create_model(
            model_name, pretrained=False, features_only=True, out_indices=self.out_indices,
            drop_path_rate=drop_path_rate)
        info = self.model.feature_info
        self.out_channels: list[int] = [int(c) for c in info.channels()]
        self.strides: tuple[int, ...] = tuple(int(s) for s in info.reduction())
        num_stages = len(info.info)
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'TimmConvNeXt: frozen_stages must be in [-1, {num_stages}], '
                             f'got {frozen_stages}')
        self.frozen_stages = frozen_stages

        self.with_global = with_global
        self.global_channels: Optional[int] = None
        if with_global:
            deepest = max(i % num_stages for i in self.out_indices)
            if deepest != num_stages - 1:
                raise ValueError(
                    f'TimmConvNeXt: with_global=True pools the last stage ({num_stages - 1}); '
                    f'add it to out_indices {self.out_indices} or set with_global=False')
            self.global_channels = self.out_channels[-1]
            # timm ConvNeXt's head norm (LayerNorm2d, eps 1e-6), on the pooled vector.
            self.global_norm = nn.LayerNorm(self.global_channels, eps=1e-6)

        self.pretrained_path = pretrained_path
        if pretrained_path is not None:
            self.load_pretrained(pretrained_path)
        self._freeze_stages()

    # ------------------------------------------------------------------ weights
    def _source_key(self, key: str, available: dict) -> str:
        """The classification-model key of a features-only key.

        timm's ``FeatureListNet`` flattens ``stem``/``stages`` into top-level
        modules named ``stem_0``, ``stages_2``...; the checkpoint says ``stem.0``,
        ``stages.2``.
        """
        if key in available:
            return key
        top, _, rest = key.partition('.')
        match = re.fullmatch(r'(.+)_(\d+)', top)
        if match is not None:
            return f'{match.group(1)}.{match.group(2)}.{rest}'
        return key

    def load_pretrained(self, path: str) -> None:
        """Load a timm classification state dict (see ``pretrained_path``), strictly."""
        source = _read_state_dict(path)
        target = self.model.state_dict()
        mapped: dict[str, torch.Tensor] = {}
        missing: list[str] = []
        used: set[str] = set()
        for key in target:
            src = self._source_key(key, source)
            if src in source:
                mapped[key] = source[src]
                used.add(src)
            else:
                missing.append(src)
        global_state: dict[str, torch.Tensor] = {}
        if self.with_global:
            for name in ('weight', 'bias'):
                src = _GLOBAL_NORM_PREFIX + name
                if src in source:
                    global_state[name] = source[src]
                    used.add(src)
                else:
                    missing.append(src)
        ignored = [k for k in source if k not in used and (
            k.startswith(_CLASSIFIER_PREFIXES)
            or (not self.with_global and k.startswith(_GLOBAL_NORM_PREFIX)))]
        unexpected = [k for k in source if k not in used and k not in ignored]
        if missing or unexpected:
            def show(keys: list[str]) -> str:
                more = f' ... (+{len(keys) - 8} more)' if len(keys) > 8 else ''
                return ', '.join(keys[:8]) + more
            raise RuntimeError(
                f'TimmConvNeXt({self.model_name}): {path} does not match the timm '
                f'classification model: {len(missing)} missing keys [{show(missing)}], '
                f'{len(unexpected)} unexpected keys [{show(unexpected)}]. Expected the '
                f"state dict of timm.create_model('{self.model_name}') (timm key names, "
                'not Hugging Face ones).')
        try:
            self.model.load_state_dict(mapped, strict=True)
            if self.with_global:
                self.global_norm.load_state_dict(global_state, strict=True)
        except RuntimeError as error:
            raise RuntimeError(f'TimmConvNeXt({self.model_name}): cannot load {path}: '
                               f'{error}') from error
        print_log(f'TimmConvNeXt: loaded {len(used)} tensors from {path}; unused '
                  f'classifier keys: {ignored}', logger='current')

    # ------------------------------------------------------------------ freezing
    def _frozen_modules(self) -> list[nn.Module]:
        if self.frozen_stages < 0:
            return []
        modules = []
        for name, module in self.model.named_children():
            if name.startswith('stem'):
                modules.append(module)
            match = re.fullmatch(r'stages_(\d+)', name)
            if match is not None and int(match.group(1)) < self.frozen_stages:
                modules.append(module)
        return modules

    def _freeze_stages(self) -> None:
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'TimmConvNeXt':
        super().train(mode)
        if mode:
            for module in self._frozen_modules():
                module.eval()
        return self

    # ------------------------------------------------------------------ forward
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feats = list(self.model(x))
        if self.with_global:
            feats.append(self.global_norm(feats[-1].mean(dim=(2, 3))))
        return tuple(feats)
