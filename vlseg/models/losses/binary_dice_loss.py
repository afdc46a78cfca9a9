"""Soft Dice loss on the lesion (foreground) of a binary segmentation.

Dice loss as in V-Net (Milletari et al., 3DV 2016, Eq. 1) and LViT/C2FVL's
``0.5 Dice + 0.5 CE``: ``1 - (2 sum(p g) + s) / (sum(p^k) + sum(g^k) + s)`` with
``k = 1`` (default) or ``k = 2`` (``squared_denominator``, the C2FVL/LViT
authors' ``WeightedDiceLoss``; V-Net's form). Maps may be 2D or 3D (the 3D RA-UNet
trains on volumes with it).

Why not mmseg's ``DiceLoss``: with one sigmoid output channel it one-hot
encodes the label into channel 0 = background, so it optimises the Dice of the
background and a lesion model learns to predict nothing (mmseg 1.2.2,
``_expand_onehot_labels_dice``). This loss always scores the lesion class.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn

from vlseg.registry import MODELS

from .fp32 import fp32_loss


def lesion_probability(logits: torch.Tensor) -> torch.Tensor:
    """(N, *S) lesion probability from (N, 1, *S) sigmoid or (N, 2, *S) softmax logits, for
    2D maps (S = H, W) and 3D volumes (S = X, Y, Z); (N, H, W) logits are one sigmoid map."""
    if logits.dim() == 3:
        return logits.sigmoid()
    if logits.shape[1] == 1:
        return logits[:, 0].sigmoid()
    if logits.shape[1] == 2:
        return logits.softmax(dim=1)[:, 1]
    raise ValueError(f'expected 1 or 2 output channels for a binary lesion map, '
                     f'got logits of shape {tuple(logits.shape)}')


@MODELS.register_module()
class BinaryDiceLoss(nn.Module):
    """Soft Dice loss of the lesion class, for mmseg decode heads.

    Args:
        smooth: added to numerator and denominator (1.0 as in LViT's code).
        squared_denominator: use ``sum(p^2) + sum(g^2)`` (V-Net; C2FVL's code).
        per_image: average the Dice of each image (``True``) or compute one Dice
            over the whole batch (``False``, MONAI's ``batch=True``).
        loss_weight: multiplies the loss.
        ignore_index: label value excluded from the loss.
        loss_name: key under which mmseg logs the loss; must start with ``loss_``.
    """

    def __init__(self, smooth: float = 1.0, squared_denominator: bool = False,
                 per_image: bool = True, loss_weight: float = 1.0, ignore_index: int = 255,
                 loss_name: str = 'loss_dice') -> None:
        super().__init__()
        self.smooth = smooth
        self.squared_denominator = squared_denominator
        self.per_image = per_image
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    @fp32_loss
    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: Optional[torch.Tensor] = None, ignore_index: Optional[int] = None,
                **kwargs) -> torch.Tensor:
        ignore_index = self.ignore_index if ignore_index is None else ignore_index
        probability = lesion_probability(pred)
        valid = (target != ignore_index).to(probability.dtype)
        truth = (target == 1).to(probability.dtype) * valid
        probability = probability * valid
        # Per image (or volume): every axis but the batch; 2D maps and 3D volumes alike.
        dims = tuple(range(1 if self.per_image else 0, truth.dim()))
        intersection = (probability * truth).sum(dims)
        if self.squared_denominator:
            denominator = (probability ** 2).sum(dims) + (truth ** 2).sum(dims)
        else:
            denominator = probability.sum(dims) + truth.sum(dims)
        dice = (2 * intersection + self.smooth) / (denominator + self.smooth)
        return self.loss_weight * (1 - dice).mean()

    @property
    def loss_name(self) -> str:
        return self._loss_name
