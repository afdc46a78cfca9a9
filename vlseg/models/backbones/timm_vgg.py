"""VGG16 from timm as Inf-Net's feature pyramid.

Inf-Net's VGG variant (Fan et al., IEEE TMI 2020; ``DengPingFan/Inf-Net``,
``Code/model_lung_infection/InfNet_VGGNet.py`` and ``backbone/VGGNet.py``,
``B2_VGG``) taps the five convolution blocks of VGG16 (13 conv3x3 + ReLU, no BN):
block 1 (64 channels, stride 1), block 2 (128, stride 2; the low-level feature of
the edge branch), blocks 3-5 (256/512/512, strides 4/8/16; the high-level
features of the RFB blocks and reverse attention). timm's ``vgg16`` with
``features_only=True`` gives exactly these taps (the ReLU before each max-pool);
the classifier (fc6/fc7 as ``pre_logits``, fc8) is never built.

Where the authors' code differs, and what we do:

- ``B2_VGG`` pools between blocks with ``AvgPool2d(2)``, although its ImageNet
  weights (torchvision's ``vgg16-397923af.pth``) were trained with max-pooling.
  The paper says VGG16, so max-pooling is the default; ``pool='avg'`` reproduces
  the code.
- ``B2_VGG`` also builds a second copy of blocks 4-5 (``conv4_2``, ``conv5_2``)
  that Inf-Net's forward never reads (13.0M parameters: the authors' model builds
  34.3M and uses 21.3M). It is not built here.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch.nn as nn

from vlseg.registry import MODELS

from .timm_features import TimmFeatures


@MODELS.register_module()
class TimmVGG(TimmFeatures):
    """VGG16 blocks 1-5 as five feature maps (strides 1, 2, 4, 8, 16).

    Args:
        model_name: a timm VGG without BN (``'vgg16'``).
        pretrained_path: local ImageNet state dict with ``features.N.*`` keys
            (torchvision's ``vgg16-397923af.pth`` or timm's ``vgg16``); the
            classifier keys are ignored. ``None``: random init.
        out_indices: blocks to return (0..4 = blocks 1..5; ``InfNetHead`` reads 1..4,
            block 1 is returned as Inf-Net's f1 but read by nothing).
        pool: ``'max'`` (VGG16, the default) or ``'avg'`` (the authors' ``B2_VGG``)
            between blocks.
        init_cfg: mmengine init config; not combinable with ``pretrained_path``.
    """

    # timm builds VGG's classifier MLP (a 7x7 conv to 4096 channels, 100M+ parameters)
    # before features_only drops it: at width 1 it costs 0.3 s instead of 2.1 s to build,
    # and the feature network and its state dict keys are the same.
    timm_kwargs = {'mlp_ratio': 1 / 4096}

    def __init__(self,
                 model_name: str = 'vgg16',
                 pretrained_path: Optional[str] = None,
                 out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 pool: str = 'max',
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        if pool not in ('max', 'avg'):
            raise ValueError(f"TimmVGG: pool must be 'max' or 'avg', got {pool!r}")
        super().__init__(model_name=model_name, pretrained_path=pretrained_path,
                         out_indices=out_indices, init_cfg=init_cfg)
        self.pool = pool
        if pool == 'avg':
            for name, child in list(self.model.named_children()):
                if isinstance(child, nn.MaxPool2d):
                    setattr(self.model, name, nn.AvgPool2d(kernel_size=2, stride=2))
