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

import re
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule

from vlseg.registry import MODELS

from ..layers.precision import use_fast_depthwise
from .timm_features import timm_feature_network
from .weight_loading import (
    check_weight_source,
    classification_key,
    load_state_dict_strictly,
    read_state_dict,
)

# Keys of a timm classification checkpoint that a feature extractor never uses.
_CLASSIFIER_PREFIXES = ('head.fc.',)
_GLOBAL_NORM_PREFIX = 'head.norm.'


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
        fast_depthwise: run the depthwise 7 x 7 convolutions on channels-last input, and
            in fp32 under autocast (``vlseg.models.layers.FastDepthwiseConv2d``: several
            times faster on a CPU; the same maths, up to float rounding; default on).
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
                 fast_depthwise: bool = True,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        check_weight_source('TimmConvNeXt', pretrained_path, init_cfg)
        self.model_name = model_name
        self.out_indices = tuple(int(i) for i in out_indices)
        self.model, self.out_channels, self.strides = timm_feature_network(
            model_name, self.out_indices, drop_path_rate=drop_path_rate)
        num_stages = len(self.model.feature_info.info)
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'TimmConvNeXt: frozen_stages must be in [-1, {num_stages}], '
                             f'got {frozen_stages}')
        self.frozen_stages = frozen_stages
        if fast_depthwise:
            use_fast_depthwise(self.model)

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
    def load_pretrained(self, path: str) -> None:
        """Load a timm classification state dict (see ``pretrained_path``), strictly."""
        owner = f'TimmConvNeXt({self.model_name})'
        hint = (f"Expected the state dict of timm.create_model('{self.model_name}') (timm "
                'key names, not Hugging Face ones).')
        source = read_state_dict(
            path, owner, hint=f"E.g. torch.save(timm.create_model('{self.model_name}', "
                              'pretrained=True).state_dict(), path).')

        def key_map(key: str) -> str:
            # ``model.*``: the features-only network; ``global_norm.*``: timm's head norm.
            if key.startswith('global_norm.'):
                return _GLOBAL_NORM_PREFIX + key[len('global_norm.'):]
            return classification_key(key[len('model.'):], source)

        ignored = _CLASSIFIER_PREFIXES + (() if self.with_global else (_GLOBAL_NORM_PREFIX, ))
        unused = load_state_dict_strictly(self, source, path, owner, key_map=key_map,
                                          ignore_prefixes=ignored, hint=hint)
        print_log(f'TimmConvNeXt: loaded {len(self.state_dict())} tensors from {path}; unused '
                  f'classifier keys: {unused}', logger='current')

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
