"""VLAB: C2FVL's vision-language alignment block on a skip connection.

Shan et al., "Coarse-to-Fine COVID-19 Segmentation via Vision-Language Alignment",
ICASSP 2023, Eq. 4-6; authors' code ``HUANGLIZI/C2FVL`` ``nets/VLAB.py``
(``VLAlignBlock``). ``C2FVLHead`` puts one VLAB on each skip, which already carries
the text (the lesion-vector weighting of Eq. 3, ``LesionVectorWeighting``); the block
itself takes no separate text input in either variant.

``gate='channel'`` (default, the paper, Eq. 4-6): a per-pixel MLP (1x1 conv + ReLU,
Eq. 4), then global max pooling and global average pooling over the spatial axes,
summed (Eq. 5), an MLP (``C -> C / reduction -> C`` with ReLU), and the result
multiplies the input channel-wise (Eq. 6)::

    F' = ReLU(W_1 F);   a = MLP(GMP(F') + GAP(F'));   out = a * F

``gate='spatial'`` (the authors' code): two branches, each a 1x1 conv (no bias) then
a per-pixel Linear over channels and ReLU; one is averaged over channels, the other
max-pooled over channels; the two ``(B, 1, H, W)`` maps are summed, passed through a
per-pixel MLP ``1 -> 4 -> 1`` and multiply the input pixel-wise. It gates positions,
not channels. Parameters at width C: ``4 C^2 + 2 C + 13`` (the authors also build a
``conv_sig`` their forward never calls; it is not built here). This is LViT's PLAM
with a Linear in each branch and ``a + m`` alone into the MLP: both are
``vlseg.models.layers.AvgMaxPixelGate`` (here the submodule ``spatial_gate``).

Our choices where the paper is not specific (the project's notes summarise Eq. 4-6
as "MLP, then global max and global average pooling branches, summed, MLP,
multiplied with the input"): the Eq. 4 MLP is one 1x1 conv (with bias) and ReLU,
shared by both pooling branches; the pooling is over the spatial axes (global); the
Eq. 5 MLP reduces by ``reduction = 2`` (the authors' code uses a "middle layer size
ratio" of 2); no sigmoid on the weights (none is described, and the code has none),
``sigmoid_gate=True`` adds it.
"""
from __future__ import annotations

from typing import Optional, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

from .pixel_gate import AvgMaxPixelGate

_GATES = ('channel', 'spatial')


@MODELS.register_module()
class VLAB(BaseModule):
    """C2FVL's vision-language alignment block (see the module docstring).

    Args:
        channels: width ``C`` of the skip map.
        gate: ``'channel'`` (the paper, Eq. 4-6) or ``'spatial'`` (the authors' code).
        reduction: hidden width ``C / reduction`` of the channel gate's Eq. 5 MLP; the
            spatial gate has no such MLP and ignores it.
        sigmoid_gate: squash the weights with a sigmoid before multiplying.
        init_cfg: mmengine init config.
    """

    def __init__(self, channels: int, gate: str = 'channel', reduction: int = 2,
                 sigmoid_gate: bool = False,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if gate not in _GATES:
            raise ValueError(f'VLAB: gate must be one of {_GATES}, got {gate!r}')
        self.channels = int(channels)
        self.gate = gate
        self.sigmoid_gate = sigmoid_gate
        self.reduction: Optional[int] = None
        if gate == 'channel':
            if reduction < 1 or channels % reduction:
                raise ValueError(f'VLAB: reduction {reduction} must divide the width {channels}')
            self.reduction = reduction
            self.pixel_mlp = nn.Sequential(nn.Conv2d(channels, channels, 1), nn.ReLU(inplace=True))
            self.channel_mlp = nn.Sequential(
                nn.Linear(channels, channels // reduction), nn.ReLU(inplace=True),
                nn.Linear(channels // reduction, channels))
        else:
            self.spatial_gate = AvgMaxPixelGate(channels, branch_linear=True, mlp_inputs='sum',
                                                hidden_channels=4)

    def weights(self, x: Tensor) -> Tensor:
        """``(B, C, 1, 1)`` channel weights (``'channel'``) or ``(B, 1, H, W)`` pixel weights."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'VLAB: expected (B, {self.channels}, H, W), got {tuple(x.shape)}')
        if self.gate == 'channel':
            mapped = self.pixel_mlp(x)                                        # Eq. 4
            pooled = mapped.amax(dim=(2, 3)) + mapped.mean(dim=(2, 3))        # Eq. 5
            weights = self.channel_mlp(pooled)[:, :, None, None]
        else:
            weights = self.spatial_gate.weights(x)
        return weights.sigmoid() if self.sigmoid_gate else weights

    def forward(self, x: Tensor) -> Tensor:
        return self.weights(x) * x                                            # Eq. 6

    def extra_repr(self) -> str:
        reduction = f', reduction={self.reduction}' if self.gate == 'channel' else ''
        return (f'channels={self.channels}, gate={self.gate!r}{reduction}, '
                f'sigmoid_gate={self.sigmoid_gate}')
