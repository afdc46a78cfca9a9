"""C2FVL's cosine alignment losses between the VLAB outputs of the decoder levels.

Shan et al., "Coarse-to-Fine COVID-19 Segmentation via Vision-Language Alignment",
ICASSP 2023, Eq. 7-10; authors' code ``HUANGLIZI/C2FVL`` ``utils.py`` (``Cosineloss``)
and ``nets/C2FVL.py`` (the auxiliary maps ``plamy1..4``).

Each decoder level's VLAB output goes through a 1x1 auxiliary head to a one-channel
logit map ``P_l`` (``C2FVLHead``); ``P_1`` is the finest (input resolution), ``P_4``
the coarsest. With ``L_{i,j} = 1 - cos(flatten(P_i), flatten(P_j))`` per image (the
second map resampled to the first's resolution), averaged over the batch:

- ``L_V1`` (Eq. 7-8, ``mode='v1'``): the deepest map against the shallower ones
  brought down to its resolution,
  ``alpha L_{4,1} + beta L_{4,2} + gamma L_{4,3}`` (alpha on the map farthest from
  the reference, the order of Eq. 10);
- ``L_V2`` (Eq. 9-10, ``mode='v2'``, the paper's best and the authors' code): the
  first map against the deeper ones brought up to its resolution,
  ``alpha L_{1,4} + beta L_{1,3} + gamma L_{1,2}`` (Eq. 10).

So ``weights = (alpha, beta, gamma)`` pair with the other maps from the one farthest
from the reference to the nearest: ``P_4, P_3, P_2`` for ``L_V2`` and ``P_1, P_2, P_3``
for ``L_V1``. All are 0.5 in the paper and the code (whose ``Cosineloss`` computes
``0.5 l12 + 0.5 l13 + 0.5 l14``), so the pairing only matters for other weights. The
cosine is taken on logit maps, as the code (its auxiliary heads have no sigmoid).

Resampling: upsampling is nearest-neighbour, as the code's ``nn.Upsample`` (the code
upsamples the VLAB features and then applies the 1x1 head; both are linear, so
heads-then-upsampling is the same map). The paper does not say how ``L_V1``
downsamples; we average-pool (``adaptive_avg_pool2d``), which also commutes with the
1x1 heads.
"""
from __future__ import annotations

from typing import Sequence

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vlseg.registry import MODELS

from .fp32 import fp32_loss

_MODES = ('v1', 'v2')


def cosine_distance(a: Tensor, b: Tensor) -> Tensor:
    """``1 - cos`` between the flattened maps of each image: ``(B, ...)`` x2 -> ``(B,)``."""
    return 1 - F.cosine_similarity(a.flatten(1), b.flatten(1), dim=1)


@MODELS.register_module()
class CosineAlignmentLoss(nn.Module):
    """``L_V1`` / ``L_V2`` of C2FVL (see the module docstring).

    Args:
        mode: ``'v2'`` (first map vs upsampled deeper ones) or ``'v1'`` (deepest map vs
            downsampled shallower ones).
        weights: ``(alpha, beta, gamma)``, one per map compared with the reference,
            farthest first: ``L_V2 = alpha L_{1,4} + beta L_{1,3} + gamma L_{1,2}``,
            ``L_V1 = alpha L_{4,1} + beta L_{4,2} + gamma L_{4,3}``.
        loss_weight: multiplies the loss (1 as the code: ``data loss + L_V``).
        loss_name: key under which the head logs the loss.
    """

    def __init__(self, mode: str = 'v2', weights: Sequence[float] = (0.5, 0.5, 0.5),
                 loss_weight: float = 1.0, loss_name: str = 'loss_align') -> None:
        super().__init__()
        if mode not in _MODES:
            raise ValueError(f'CosineAlignmentLoss: mode must be one of {_MODES}, got {mode!r}')
        self.mode = mode
        self.weights = tuple(float(w) for w in weights)
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @fp32_loss
    def forward(self, maps: Sequence[Tensor]) -> Tensor:
        """``maps``: the auxiliary logit maps ``(B, 1, H_l, W_l)``, finest first."""
        maps = list(maps)
        if len(maps) != len(self.weights) + 1:
            raise ValueError(f'CosineAlignmentLoss: {len(self.weights)} weights need '
                             f'{len(self.weights) + 1} maps, got {len(maps)}')
        # ``others``: the maps compared with the reference, farthest from it first,
        # in the order of ``weights`` (Eq. 10: P_4, P_3, P_2 against P_1).
        if self.mode == 'v2':
            reference, others = maps[0], maps[:0:-1]
            others = [F.interpolate(m, size=reference.shape[-2:], mode='nearest')
                      for m in others]
        else:
            reference, others = maps[-1], maps[:-1]
            others = [F.adaptive_avg_pool2d(m, reference.shape[-2:]) for m in others]
        loss = sum(w * cosine_distance(reference, other)
                   for w, other in zip(self.weights, others))
        return self.loss_weight * loss.mean()

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def extra_repr(self) -> str:
        return f'mode={self.mode!r}, weights={self.weights}, loss_weight={self.loss_weight}'
