"""ImageNet CNNs from timm as Inf-Net's five-level feature pyramid.

Inf-Net (Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection Segmentation
from CT Images", IEEE TMI 2020; ``DengPingFan/Inf-Net``,
``Code/model_lung_infection/InfNet_Res2Net.py`` and ``InfNet_ResNet.py``) reads
five levels f1..f5 of a ResNet-like encoder: the stem after conv-BN-ReLU (stride
2, before the max-pool) and the four stages (strides 4, 8, 16, 32). f2 feeds the
edge branch, f3..f5 the RFB blocks and reverse attention (``InfNetHead``). The
seed paper ("Image Segmentation for COVID-19", Table 2) swaps the backbone; the
ResNet-like ones exist in timm, so this wrapper builds them with
``timm.create_model(model_name, pretrained=False, features_only=True)`` and never
downloads anything:

- Res2Net-50 v1b 26w x 4s (the authors' ``res2net50_v1b_26w_4s``): timm
  ``'res2net50d'`` (deep stem conv3x3 32-32-64, average-pool shortcut
  downsampling, width 26, scale 4; its state-dict keys are the authors'). timm's
  ``'res2net50_26w_4s'`` is Res2Net v1 (7x7 stem, strided-conv shortcut), not the
  network Inf-Net uses.
- ResNet-50: ``'resnet50'`` (torchvision's network and key names; the authors'
  ``InfNet_ResNet.py`` loads torchvision's ImageNet weights).
- ResNeXt-50 32x4d: ``'resnext50_32x4d'`` (torchvision's).
- ResNeSt-50: ``'resnest50d'``, the official ResNeSt-50 of Zhang et al. 2020
  (``zhanghang1989/ResNeSt`` ``resnest50``: deep stem 32, average-pool shortcut,
  radix 2, cardinality 1, width 64, avd). The seed names "ResNeSt50" without code;
  the official model is assumed (timm's ``resnest50d_4s2x40d`` and
  ``resnest50d_1s4x24d`` are the other ResNeSt-50 variants).

VGG16 is :class:`TimmVGG` (same loading, the authors' pooling as an option) and
iResNet-50, which no library has, is :class:`IResNet`.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule

from vlseg.registry import MODELS

from .weight_loading import (
    check_weight_source,
    classification_key,
    load_state_dict_strictly,
    read_state_dict,
)


def timm_feature_network(model_name: str, out_indices: Sequence[int], **timm_kwargs
                         ) -> tuple[nn.Module, list[int], tuple[int, ...]]:
    """``timm.create_model(model_name, features_only=True)`` (never downloads) with the
    channels and strides of its ``out_indices`` maps."""
    import timm
    model = timm.create_model(model_name, pretrained=False, features_only=True,
                              out_indices=tuple(out_indices), **timm_kwargs)
    info = model.feature_info
    return (model, [int(c) for c in info.channels()],
            tuple(int(s) for s in info.reduction()))


@MODELS.register_module()
class TimmFeatures(BaseModule):
    """A timm CNN as a tuple of feature maps (Inf-Net's f1..f5 by default).

    Output contract: ``forward(x)`` returns the maps of ``out_indices``,
    ``(B, out_channels[i], H / strides[i], W / strides[i])``. For the ResNet-like
    models above, indices 0..4 are the stem (64 channels, stride 2) and the four
    stages (256/512/1024/2048 channels, strides 4-32). ``InfNetHead`` reads 1..4
    (``in_index=(1, 2, 3, 4)``): the stem map is returned, as Inf-Net's encoder
    computes it (the levels keep the paper's numbering f1..f5), but no head of
    vlseg reads it; returning it costs nothing (the stem runs anyway).

    Args:
        model_name: a timm model with ``features_only`` support (see the module
            docstring for the Inf-Net backbones).
        pretrained_path: local state dict of the timm *classification* model (timm's
            key names, which for these models are also torchvision's and the Res2Net
            release's), e.g. ``torch.save(timm.create_model('res2net50d',
            pretrained=True).state_dict(), path)``. Every tensor of the feature
            network must be in it, and every key of the file must be used, except
            the classifier (``fc.``, ``head.``, ``classifier.``, ``pre_logits.``)
            and the layers past the last of ``out_indices`` (timm does not build
            them): anything else raises, naming the file and the keys (e.g. a
            ResNet-34 file given to a ResNet-18). The unused keys are logged.
            ``None``: random init.
        out_indices: feature levels to return.
        init_cfg: mmengine init config; not combinable with ``pretrained_path``.

    Attributes:
        out_channels: channels of the returned maps.
        strides: their strides.
    """

    # Extra arguments of timm.create_model; they must leave the feature network as it is.
    timm_kwargs: dict = {}

    def __init__(self,
                 model_name: str = 'res2net50d',
                 pretrained_path: Optional[str] = None,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        check_weight_source(type(self).__name__, pretrained_path, init_cfg)
        self.model_name = model_name
        self.out_indices = tuple(int(i) for i in out_indices)
        self.model, self.out_channels, self.strides = timm_feature_network(
            model_name, self.out_indices, **self.timm_kwargs)
        self.pretrained_path = pretrained_path
        if pretrained_path is not None:
            self.load_pretrained(pretrained_path)

    def load_pretrained(self, path: str) -> None:
        """Load a classification state dict (see ``pretrained_path``)."""
        owner = f'{type(self).__name__}({self.model_name})'
        source = read_state_dict(path, owner)

        def key_map(key: str) -> str:
            return classification_key(key, source)

        unused = load_state_dict_strictly(
            self.model, source, path, owner, key_map=key_map, untapped=self._all_level_keys,
            hint=f"Expected the state dict of timm.create_model('{self.model_name}') "
                 '(timm, torchvision or the Res2Net release key names).')
        print_log(f'{owner}: loaded {path}; {len(unused)} unused keys '
                  f'(classifier and untapped layers): {unused[:8]}', logger='current')

    def _all_level_keys(self) -> set[str]:
        """Checkpoint keys of the feature network with every level (``out_indices``
        left out builds only up to the last tapped level)."""
        import timm
        full = timm.create_model(self.model_name, pretrained=False, features_only=True,
                                 **self.timm_kwargs)
        return {classification_key(key) for key in full.state_dict()}

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return tuple(self.model(x))
