"""TGANet's decoder block: upsample, concatenate the skip, residual convs, CBAM.

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022 (method, architecture figure: three decoder blocks, each followed by a label attention module).
Layers as the authors' code (``nikhilroxtomar/TGANet``, ``model.py``,
``decoder_block``)::

    x  = conv1x1([up(x); skip])                                   (conv + BN + ReLU)
    x1 = ReLU(conv3x3(x) + x)
    x2 = ReLU(conv3x3(x1) + x1 + x)
    y  = SA(CA(ReLU(conv1x1(x2) + x2 + x1 + x)))

(convs without bias, each followed by BN; only the first has its own ReLU). ``up`` is a
bilinear resize to the skip's size with aligned corners: the authors' ``Upsample(
scale_factor=2, align_corners=True)`` whenever the input size is a multiple of 16.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
from mmseg.models.utils import resize
from torch import Tensor

from vlseg.models.layers.conv_module import AuthorsConvModule
from vlseg.registry import MODELS

from .cbam import TGANetChannelAttention, TGANetSpatialAttention


@MODELS.register_module()
class TGANetDecoderBlock(nn.Module):
    """One decoder step (see the module docstring).

    Args:
        in_channels: channels of the deeper decoder input.
        skip_channels: channels of the skip (the enhanced encoder level).
        out_channels: output channels (128, as the authors).
        align_corners: of the bilinear upsampling (``True``, as the authors).
        conv_cfg, norm_cfg, act_cfg: mmcv layer configs (``nn.Conv2d``, BN, ReLU).
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int,
                 align_corners: bool = True, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 act_cfg: Optional[dict] = dict(type='ReLU')) -> None:
        super().__init__()
        layer = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.align_corners = align_corners
        self.reduce = AuthorsConvModule(in_channels + skip_channels, out_channels, 1,
                                        act_cfg=act_cfg, **layer)
        self.conv1 = AuthorsConvModule(out_channels, out_channels, 3, padding=1,
                                       act_cfg=None, **layer)
        self.conv2 = AuthorsConvModule(out_channels, out_channels, 3, padding=1,
                                       act_cfg=None, **layer)
        self.conv3 = AuthorsConvModule(out_channels, out_channels, 1, act_cfg=None, **layer)
        self.relu = nn.ReLU(inplace=True)
        self.channel_attention = TGANetChannelAttention(out_channels)
        self.spatial_attention = TGANetSpatialAttention()

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = resize(x, size=skip.shape[2:], mode='bilinear', align_corners=self.align_corners,
                   warning=False)
        s1 = self.reduce(torch.cat([x, skip], dim=1))
        s2 = self.relu(self.conv1(s1) + s1)
        s3 = self.relu(self.conv2(s2) + s2 + s1)
        x = self.relu(self.conv3(s3) + s3 + s2 + s1)
        return self.spatial_attention(self.channel_attention(x))
