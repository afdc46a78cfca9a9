"""TGANet's multi-scale feature aggregation: the three decoder outputs fused at the finest.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method, architecture figure: the outputs of the three label attention modules, at strides 8, 4
and 2, are aggregated before the prediction). As the authors' code
(``nikhilroxtomar/TGANet``, ``model.py``, ``multiscale_feature_aggregation``)::

    z  = conv1x1([conv1x1(up4(y_1)); conv1x1(up2(y_2)); conv1x1(y_3)])   (conv + BN + ReLU)
    z1 = ReLU(conv3x3(z) + z)
    out = ReLU(conv3x3(z1) + z1 + z)                                       (conv + BN)

``up`` is a bilinear resize to ``y_3``'s size with aligned corners (the authors' 4x / 2x
``Upsample(align_corners=True)`` at input sizes that are multiples of 16); the upsampling
comes before the 1x1 conv + BN + ReLU, as in the code.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmseg.models.utils import resize
from torch import Tensor

from vlseg.models.layers.conv_module import AuthorsConvModule
from vlseg.registry import MODELS


@MODELS.register_module()
class TGANetFeatureAggregation(nn.Module):
    """Fuse decoder maps of several scales at the finest one's size.

    Args:
        in_channels: channels of the maps, coarse to fine ((128, 128, 128)).
        out_channels: output channels (128).
        align_corners: of the bilinear upsampling (``True``, as the authors).
        conv_cfg, norm_cfg, act_cfg: mmcv layer configs (``nn.Conv2d``, BN, ReLU).
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int,
                 align_corners: bool = True, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU')) -> None:
        super().__init__()
        layer = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.align_corners = align_corners
        self.reduce = nn.ModuleList([
            AuthorsConvModule(channels, out_channels, 1, act_cfg=act_cfg, **layer)
            for channels in in_channels])
        self.fuse = AuthorsConvModule(out_channels * len(in_channels), out_channels, 1,
                                      act_cfg=act_cfg, **layer)
        self.conv1 = AuthorsConvModule(out_channels, out_channels, 3, padding=1,
                                       act_cfg=None, **layer)
        self.conv2 = AuthorsConvModule(out_channels, out_channels, 3, padding=1,
                                       act_cfg=None, **layer)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, *maps: Tensor) -> Tensor:
        """``maps`` coarse to fine; the output has the last (finest) map's size."""
        if len(maps) != len(self.reduce):
            raise ValueError(f'TGANetFeatureAggregation: expected {len(self.reduce)} maps, '
                             f'got {len(maps)}')
        size = maps[-1].shape[2:]
        reduced = [
            conv(resize(x, size=size, mode='bilinear', align_corners=self.align_corners,
                        warning=False) if x.shape[2:] != size else x)
            for conv, x in zip(self.reduce, maps)]
        z = self.fuse(torch.cat(reduced, dim=1))
        z1 = self.relu(self.conv1(z) + z)
        return self.relu(self.conv2(z1) + z1 + z)
