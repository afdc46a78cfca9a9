"""Class-balanced binary cross-entropy: the mean over lesion pixels and over background pixels.

The data loss of the LViT and C2FVL authors' code (``HUANGLIZI/LViT`` and
``HUANGLIZI/C2FVL`` ``utils.py``, ``WeightedBCE(weights=[0.5, 0.5])``, used in
``WeightedDiceBCE``)::

    L = w_pos * sum_{g=1} BCE / N_pos + w_neg * sum_{g=0} BCE / N_neg

with the sums and counts over all pixels of the batch. The papers state plain
"cross-entropy"; this is the code's version, for reproducing its numbers (with
``BinaryDiceLoss(squared_denominator=True)`` for the code's Dice).

Where this differs from the authors' code: it takes logits and uses the numerically
stable ``binary_cross_entropy_with_logits`` (the code applies BCE to sigmoid
probabilities, where PyTorch clamps ``log`` at -100); pixels labelled
``ignore_index`` are left out.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from vlseg.registry import MODELS

from .fp32 import fp32_loss


@MODELS.register_module()
class ClassBalancedBCELoss(nn.Module):
    """Mean BCE over lesion pixels and over background pixels, weighted and summed.

    Args:
        pos_weight, neg_weight: weights of the lesion and background means (0.5 and
            0.5 as the authors).
        loss_weight: multiplies the loss.
        ignore_index: label value excluded from the loss.
        loss_name: key under which mmseg logs the loss; must start with ``loss_``.
    """

    def __init__(self, pos_weight: float = 0.5, neg_weight: float = 0.5,
                 loss_weight: float = 1.0, ignore_index: int = 255,
                 loss_name: str = 'loss_cb_bce') -> None:
        super().__init__()
        self.pos_weight = pos_weight
        self.neg_weight = neg_weight
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    @fp32_loss
    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: Optional[torch.Tensor] = None, ignore_index: Optional[int] = None,
                **kwargs) -> torch.Tensor:
        """``pred``: ``(B, 1, H, W)`` or ``(B, H, W)`` logits; ``target``: ``(B, H, W)`` 0/1."""
        if pred.dim() == 4:
            if pred.shape[1] != 1:
                raise ValueError('ClassBalancedBCELoss takes one-channel (sigmoid) logits, got '
                                 f'{tuple(pred.shape)}')
            pred = pred[:, 0]
        ignore_index = self.ignore_index if ignore_index is None else ignore_index
        valid = target != ignore_index
        truth = (target == 1).to(pred.dtype)
        loss = F.binary_cross_entropy_with_logits(pred, truth, reduction='none')
        positive = (truth > 0) & valid
        negative = (truth == 0) & valid
        # The authors add 1e-12 to the counts: an absent class contributes 0.
        pos_mean = (loss * positive).sum() / (positive.sum() + 1e-12)
        neg_mean = (loss * negative).sum() / (negative.sum() + 1e-12)
        return self.loss_weight * (self.pos_weight * pos_mean + self.neg_weight * neg_mean)

    @property
    def loss_name(self) -> str:
        return self._loss_name
