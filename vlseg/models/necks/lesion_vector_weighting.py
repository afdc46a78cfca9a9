"""C2FVL's multi-scale vision-language aggregation: the lesion vector weights the skips.

Shan et al., "Coarse-to-Fine COVID-19 Segmentation via Vision-Language Alignment",
ICASSP 2023, Eq. 3; authors' code ``HUANGLIZI/C2FVL`` ``nets/C2FVL.py`` (``forward``)
and ``nets/Vit.py`` (``Process_text``).

The caption's 8-dim lesion vector ``v`` (``LesionVectorEncoder``: [bilateral, count,
L-upper, L-middle, L-lower, R-upper, R-middle, R-lower]) is repeated along the
channels of every skip feature and multiplies it: channel ``c`` of a selected map is
scaled by ``v[c mod 8]`` (the authors' ``text.repeat(1, C / 8)``), ``x_i'' = x_i' *
repeat(v)`` for the fused maps ``x_1' .. x_4'`` of the hybrid encoder. The deepest map
(``x_5``, the bottleneck) is not weighted, as in the authors' code.

Because the weighting is multiplicative, a zone the caption does not name (flag 0)
zeroes every eighth channel of each weighted map, and a zeroed vector (text-free
caption ``''``) zeroes the weighted maps entirely: that is C2FVL's "text vector
zeroed" setting (``DropCaption`` in the pipeline), not a neutral text-free mode.

Options the authors do not have: ``levels`` selects which maps are weighted (the
single-scale ablation weights one level; the authors weight all four skips).
The authors' ``Process_text`` builds a conv, BN and ReLU that its forward never
calls; nothing is built here (the weighting has no parameters).
"""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS


def repeat_over_channels(vector: Tensor, channels: int) -> Tensor:
    """``(B, K)`` -> ``(B, channels, 1, 1)`` with channel ``c`` equal to ``vector[:, c % K]``."""
    index = torch.arange(channels, device=vector.device) % vector.shape[1]
    return vector[:, index][:, :, None, None]


@MODELS.register_module()
class LesionVectorWeighting(BaseModule):
    """Eq. 3 of C2FVL: multiply the selected skip maps by the channel-repeated lesion vector.

    Input contract (text-aware vlseg necks): ``inputs = (features, text)``, where
    ``text[text_key]`` is ``(B, K)`` (``LesionVectorEncoder``'s ``vector``, K = 8).

    Args:
        levels: indices of the maps to weight; the authors weight the four skips
            ``(0, 1, 2, 3)`` of the hybrid encoder (not the bottleneck, 4).
        text_key: key of the vector in the text dict.
    """

    def __init__(self, levels: Sequence[int] = (0, 1, 2, 3), text_key: str = 'vector') -> None:
        super().__init__()
        self.levels = tuple(int(i) for i in levels)
        if not self.levels:
            raise ValueError('LesionVectorWeighting: levels is empty; leave the neck out instead')
        self.text_key = text_key
        self.text_inputs = (text_key,)
        self.text_levels = self.levels

    def neck_out_channels(self, in_channels: Sequence[int]) -> list[int]:
        """The widths it returns: those it is given (``vlseg.models.interfaces``)."""
        if any(not -len(in_channels) <= i < len(in_channels) for i in self.levels):
            raise ValueError(f'it weights levels {self.levels}, but there are '
                             f'{len(in_channels)} maps (set levels)')
        return list(in_channels)

    def forward(self, inputs: tuple[Sequence[Tensor], dict]) -> tuple[Tensor, ...]:
        features, text = inputs
        features = list(features)
        if self.text_key not in text:
            raise KeyError(f'LesionVectorWeighting needs text[{self.text_key!r}] (B, 8) lesion '
                           f'vectors; the text dict has {sorted(text)} (use LesionVectorEncoder)')
        vector = text[self.text_key]
        if vector.dim() != 2 or vector.shape[0] != features[0].shape[0]:
            raise ValueError(f'LesionVectorWeighting: text[{self.text_key!r}] has shape '
                             f'{tuple(vector.shape)}, expected ({features[0].shape[0]}, K)')
        for i in self.levels:
            feature = features[i]
            features[i] = feature * repeat_over_channels(vector.to(feature.dtype),
                                                         feature.shape[1])
        return tuple(features)

    def extra_repr(self) -> str:
        return f'levels={self.levels}, text_key={self.text_key!r}'
