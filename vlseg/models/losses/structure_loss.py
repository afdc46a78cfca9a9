"""Inf-Net's structure loss: boundary-weighted BCE + weighted IoU.

Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection Segmentation from CT
Images", IEEE TMI 2020, the segmentation loss (weighted IoU + weighted BCE, after
F3Net and PraNet): per image, with the mask ``G`` and the prediction
``P = sigmoid(S)``,

    w = 1 + 5 |avgpool_31(G) - G|                        (31 x 31, stride 1, pad 15)
    L_wBCE = sum(w * BCE(S, G)) / sum(w)
    L_wIoU = 1 - (sum(w P G) + 1) / (sum(w (P + G)) - sum(w P G) + 1)
    L_seg = L_wBCE + L_wIoU, averaged over the batch.

The weight is large near the lesion boundary (where the local mean of the mask
differs from the pixel). Default: the paper's weighted BCE. The authors' code
(``DengPingFan/Inf-Net`` ``MyTrain_LungInf.py``, ``joint_loss``) calls
``F.binary_cross_entropy_with_logits(pred, mask, reduce='none')``: ``reduce`` is
the deprecated boolean argument and the string ``'none'`` is true, so it returns
the plain mean BCE and the weight cancels out. ``weighted_bce=False`` reproduces
that (the mean BCE per image; the code's batch mean is the same for equal-sized
images).

Targets may be soft (values in [0, 1], as after the authors' bilinear
rescaling of the masks); pixels equal to ``ignore_index`` (mmseg's padding) are
left out of every sum and count as background in the local mean.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vlseg.registry import MODELS

from .fp32 import fp32_loss


def box_mean(mask: Tensor, kernel_size: int) -> Tensor:
    """``F.avg_pool2d(mask, kernel_size, 1, kernel_size // 2)`` (zero padding counted in the
    mean) for ``(B, 1, H, W)`` masks, through running sums.

    Each window sum is the difference of two prefix sums, one pass per axis, so its cost
    does not grow with the window: about 1.3 ms at 2 x 448 x 448 against 10 ms for a row
    pool then a column pool and 150 ms for the k x k pool (k = 31, two threads). The
    sums run in float64, where they are exact for {0, 1} masks and within float64
    rounding for soft ones, so the mean equals the pool's to float32 rounding.
    """
    pad = kernel_size // 2
    sums = F.pad(mask.double(), (pad + 1, pad)).cumsum(-1)
    sums = sums[..., kernel_size:] - sums[..., :-kernel_size]
    sums = F.pad(sums, (0, 0, pad + 1, pad)).cumsum(-2)
    sums = sums[..., kernel_size:, :] - sums[..., :-kernel_size, :]
    return (sums / kernel_size**2).to(mask.dtype)


def structure_weight(mask: Tensor, kernel_size: int = 31, edge_weight: float = 5.0) -> Tensor:
    """``1 + edge_weight * |avgpool_k(mask) - mask|`` for masks ``(B, 1, H, W)``.

    The average pool has stride 1 and zero padding ``k // 2`` counted in the
    mean (PyTorch's default, as the authors); :func:`box_mean` computes it.
    """
    return 1 + edge_weight * torch.abs(box_mean(mask, kernel_size) - mask)


def structure_loss(logits: Tensor,
                   target: Tensor,
                   valid: Optional[Tensor] = None,
                   kernel_size: int = 31,
                   edge_weight: float = 5.0,
                   weighted_bce: bool = True,
                   smooth: float = 1.0) -> Tensor:
    """Weighted BCE + weighted IoU (see the module docstring), mean over the batch.

    Args:
        logits: ``(B, 1, H, W)`` logits.
        target: ``(B, 1, H, W)`` masks in [0, 1] (0 where ``valid`` is false).
        valid: ``(B, 1, H, W)`` {0, 1} map of pixels to count; ``None``: all.
        kernel_size, edge_weight: of :func:`structure_weight`.
        weighted_bce: weight the BCE (the paper) or not (the authors' code).
        smooth: added to the IoU's numerator and denominator (1 as the authors).
    """
    if valid is None:
        valid = torch.ones_like(target)
    weight = structure_weight(target, kernel_size, edge_weight) * valid
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction='none')
    bce_weight = weight if weighted_bce else valid
    wbce = (bce_weight * bce).sum(dim=(2, 3)) / bce_weight.sum(dim=(2, 3)).clamp_min(1e-6)
    prob = torch.sigmoid(logits)
    inter = (prob * target * weight).sum(dim=(2, 3))
    union = ((prob + target) * weight).sum(dim=(2, 3))
    wiou = 1 - (inter + smooth) / (union - inter + smooth)
    return (wbce + wiou).mean()


@MODELS.register_module()
class StructureLoss(nn.Module):
    """Inf-Net's structure loss on one-channel logits (mmseg loss interface).

    Called as ``loss(logits (B, 1, H, W), target (B, H, W), ignore_index=255)``
    by a decode head; the target is a {0, 1} label map or a soft mask.

    Args:
        weighted_bce: the paper's boundary-weighted BCE (``True``) or the authors'
            code, whose BCE ignores the weight (``False``).
        kernel_size: average-pool window of the weight (31).
        edge_weight: factor of the boundary term of the weight (5).
        loss_weight: multiplier of the loss.
        loss_name: key of the loss; must start with ``loss_`` to be optimised.
    """

    def __init__(self,
                 weighted_bce: bool = True,
                 kernel_size: int = 31,
                 edge_weight: float = 5.0,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_structure') -> None:
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'StructureLoss: kernel_size must be odd, got {kernel_size}')
        self.weighted_bce = weighted_bce
        self.kernel_size = kernel_size
        self.edge_weight = edge_weight
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @fp32_loss
    def forward(self, logits: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                ignore_index: int = 255, **kwargs) -> Tensor:
        if logits.dim() != 4 or logits.shape[1] != 1:
            raise ValueError(f'StructureLoss: expected one-channel logits (B, 1, H, W), got '
                             f'{tuple(logits.shape)}')
        if weight is not None:
            raise ValueError('StructureLoss: pixel weights (an mmseg sampler) are not '
                             'supported; the loss weights pixels itself')
        target = target.reshape(logits.shape[0], 1, *target.shape[-2:])
        valid = (target != ignore_index).to(logits.dtype)
        target = target.to(logits.dtype) * valid
        return self.loss_weight * structure_loss(
            logits, target, valid, kernel_size=self.kernel_size, edge_weight=self.edge_weight,
            weighted_bce=self.weighted_bce)

    @property
    def loss_name(self) -> str:
        return self._loss_name
