"""A per-pixel gate from a channel-mean and a channel-max map.

The one implementation behind LViT's pixel-level attention module (PLAM,
``vlseg.models.layers.PixelLevelAttention``; ``HUANGLIZI/LViT`` ``nets/pixlevel.py``)
and the spatial VLAB of C2FVL's code (``vlseg.models.layers.VLAB(gate='spatial')``;
``HUANGLIZI/C2FVL`` ``nets/VLAB.py``).

Two branches read the map ``x`` ``(B, C, H, W)``: each is a 1x1 conv (no bias),
optionally (``branch_linear``, C2FVL) followed by a per-pixel ``Linear(C, C)``, then
ReLU; one branch is averaged over the channels (``a``), the other max-pooled over
them (``m``). The per-pixel maps ``a + m`` (``mlp_inputs='sum'``, C2FVL) or
``[a, m, a + m]`` (``mlp_inputs='all'``, LViT) go through a per-pixel MLP
``k -> hidden -> 1`` (ReLU between), giving ``(B, 1, H, W)`` weights that multiply
``x``. Parameters at width C: ``2 C^2`` (convs), ``+ 2 (C^2 + C)`` with
``branch_linear``, + the MLP's (13 for ``1 -> 4 -> 1``, 31 for ``3 -> 6 -> 1``).
"""
from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

_MLP_INPUTS = {'sum': 1, 'all': 3}


class AvgMaxPixelGate(BaseModule):
    """Per-pixel gate from channel-mean and channel-max maps (see the module docstring).

    Args:
        channels: width ``C`` of the gated map.
        branch_linear: a per-pixel ``Linear(C, C)`` after each branch's 1x1 conv.
        mlp_inputs: ``'sum'`` (``a + m``) or ``'all'`` (``[a, m, a + m]``).
        hidden_channels: hidden width of the per-pixel MLP.
        init_cfg: mmengine init config.
    """

    def __init__(self, channels: int, branch_linear: bool = False, mlp_inputs: str = 'all',
                 hidden_channels: int = 6,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mlp_inputs not in _MLP_INPUTS:
            raise ValueError(f'{type(self).__name__}: mlp_inputs must be one of '
                             f'{tuple(_MLP_INPUTS)}, got {mlp_inputs!r}')
        self.channels = int(channels)
        self.mlp_inputs = mlp_inputs
        self.avg_conv = nn.Conv2d(channels, channels, 1, bias=False)
        self.avg_linear = nn.Linear(channels, channels) if branch_linear else None
        self.max_conv = nn.Conv2d(channels, channels, 1, bias=False)
        self.max_linear = nn.Linear(channels, channels) if branch_linear else None
        self.bottleneck = nn.Sequential(
            nn.Linear(_MLP_INPUTS[mlp_inputs], hidden_channels), nn.ReLU(inplace=True),
            nn.Linear(hidden_channels, 1))

    @staticmethod
    def _branch(x: Tensor, conv: nn.Module, linear: Optional[nn.Module]) -> tuple[Tensor, int]:
        """ReLU(conv (+ linear)) and the dimension that holds its channels."""
        if linear is None:
            return conv(x).relu(), 1
        return linear(conv(x).permute(0, 2, 3, 1)).relu(), -1

    def weights(self, x: Tensor) -> Tensor:
        """``(B, 1, H, W)`` pixel weights."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'{type(self).__name__}: expected (B, {self.channels}, H, W), got '
                             f'{tuple(x.shape)}')
        avg, dim = self._branch(x, self.avg_conv, self.avg_linear)
        avg = avg.mean(dim=dim)                                   # (B, H, W)
        peak, dim = self._branch(x, self.max_conv, self.max_linear)
        peak = peak.amax(dim=dim)                                 # (B, H, W)
        if self.mlp_inputs == 'sum':
            maps = (avg + peak)[..., None]                        # (B, H, W, 1)
        else:
            maps = torch.stack([avg, peak, avg + peak], dim=-1)   # (B, H, W, 3)
        return self.bottleneck(maps).permute(0, 3, 1, 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.weights(x) * x

    def extra_repr(self) -> str:
        return (f'channels={self.channels}, branch_linear={self.avg_linear is not None}, '
                f'mlp_inputs={self.mlp_inputs!r}')
