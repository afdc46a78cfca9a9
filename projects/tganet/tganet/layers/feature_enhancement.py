"""TGANet's feature enhancement module (FEM): dilated convolutions on each encoder level.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method, architecture figure: each of the four encoder levels passes through a feature
enhancement module before the decoder). Layers as the authors' code
(``nikhilroxtomar/TGANet``, ``model.py``, ``dilated_conv``)::

    b_1 = CA(conv1x1(x)),  b_k = CA(conv3x3_dilation_d(x)) for d in (6, 12, 18)
    y   = SA(ReLU(conv3x3([b_1; b_2; b_3; b_4]) + conv1x1(x)))

where every conv is conv (no bias) + BN, with ReLU inside the four branches and none on
the fusing conv and the 1x1 shortcut; ``CA`` / ``SA`` are CBAM's channel and spatial
attention (``cbam.py``).
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from vlseg.models.layers.conv_module import AuthorsConvModule
from vlseg.registry import MODELS

from .cbam import TGANetChannelAttention, TGANetSpatialAttention


@MODELS.register_module()
class TGANetFeatureEnhancement(nn.Module):
    """Four parallel branches (1x1 and 3x3 at three dilations), fused, plus a shortcut.

    Args:
        in_channels: channels of the encoder level.
        out_channels: channels of every branch and of the output (128, as the authors).
        dilations: dilations of the three 3x3 branches ((6, 12, 18), as the authors).
        conv_cfg, norm_cfg, act_cfg: mmcv layer configs (``nn.Conv2d``, BN, ReLU).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 dilations: Sequence[int] = (6, 12, 18), conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU')) -> None:
        super().__init__()
        layer = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        branches = [nn.Sequential(
            AuthorsConvModule(in_channels, out_channels, 1, act_cfg=act_cfg, **layer),
            TGANetChannelAttention(out_channels))]
        for dilation in dilations:
            branches.append(nn.Sequential(
                AuthorsConvModule(in_channels, out_channels, 3, padding=dilation,
                                  dilation=dilation, act_cfg=act_cfg, **layer),
                TGANetChannelAttention(out_channels)))
        self.branches = nn.ModuleList(branches)
        self.fuse = AuthorsConvModule(out_channels * len(branches), out_channels, 3, padding=1,
                                      act_cfg=None, **layer)
        self.shortcut = AuthorsConvModule(in_channels, out_channels, 1, act_cfg=None, **layer)
        self.relu = nn.ReLU(inplace=True)
        self.spatial_attention = TGANetSpatialAttention()

    def forward(self, x: Tensor) -> Tensor:
        fused = self.fuse(torch.cat([branch(x) for branch in self.branches], dim=1))
        return self.spatial_attention(self.relu(fused + self.shortcut(x)))
