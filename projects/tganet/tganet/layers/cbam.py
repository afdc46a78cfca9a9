"""Channel and spatial attention of TGANet's blocks (CBAM, Woo et al., ECCV 2018, Eqs. 2-3).

Tomar et al., "TGANet: Text-guided attention for improved polyp segmentation", MICCAI
2022, Fig. 1: every feature enhancement module and decoder block ends in channel
attention and spatial attention. Layers as the authors' code
(``nikhilroxtomar/TGANet``, ``model.py``, ``channel_attention`` / ``spatial_attention``):

- channel: ``x * sigmoid(MLP(avgpool(x)) + MLP(maxpool(x)))`` with a shared two-layer MLP
  of 1x1 convolutions without bias, ``C -> C // 16 -> C`` (Eq. 2 of CBAM);
- spatial: ``x * sigmoid(conv7x7([mean_c(x); max_c(x)]))``, one 7x7 convolution without
  bias (Eq. 3 of CBAM).
"""
from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from vlseg.registry import MODELS


@MODELS.register_module()
class TGANetChannelAttention(nn.Module):
    """CBAM channel attention (shared MLP on average- and max-pooled descriptors).

    Args:
        channels: input (and output) channels.
        ratio: reduction of the MLP's hidden layer (16, as the authors).
    """

    def __init__(self, channels: int, ratio: int = 16) -> None:
        super().__init__()
        hidden = max(channels // ratio, 1)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.max_pool = nn.AdaptiveMaxPool2d(1)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False), nn.ReLU(),
            nn.Conv2d(hidden, channels, 1, bias=False))

    def forward(self, x: Tensor) -> Tensor:
        weights = self.mlp(self.avg_pool(x)) + self.mlp(self.max_pool(x))
        return x * weights.sigmoid()


@MODELS.register_module()
class TGANetSpatialAttention(nn.Module):
    """CBAM spatial attention (a conv over the channel mean and max).

    Args:
        kernel_size: 7 (as the authors) or 3.
    """

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        if kernel_size not in (3, 7):
            raise ValueError(f'TGANetSpatialAttention: kernel_size must be 3 or 7, '
                             f'got {kernel_size}')
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * self.conv(pooled).sigmoid()
