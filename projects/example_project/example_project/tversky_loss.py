"""Tversky loss (Salehi et al., "Tversky loss function for image segmentation using 3D
fully convolutional deep networks", MLMI 2017, Eq. 3) for the lesion class.

``1 - TP / (TP + alpha FP + beta FN)`` on soft counts; ``beta > alpha`` weighs missed lesion
pixels more than false alarms, which helps small lesions. alpha = beta = 0.5 is Dice.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from vlseg.models.losses import lesion_probability
from vlseg.registry import MODELS


@MODELS.register_module()
class LesionTverskyLoss(nn.Module):

    def __init__(self, alpha: float = 0.3, beta: float = 0.7, smooth: float = 1.0,
                 loss_weight: float = 1.0, ignore_index: int = 255,
                 loss_name: str = 'loss_tversky') -> None:
        super().__init__()
        self.alpha, self.beta, self.smooth = alpha, beta, smooth
        self.loss_weight = loss_weight
        self.ignore_index = ignore_index
        self._loss_name = loss_name

    def forward(self, pred: torch.Tensor, target: torch.Tensor, **kwargs) -> torch.Tensor:
        probability = lesion_probability(pred)
        valid = (target != self.ignore_index).to(probability.dtype)
        truth = (target == 1).to(probability.dtype) * valid
        probability = probability * valid
        true_positive = (probability * truth).sum((1, 2))
        false_positive = (probability * (1 - truth) * valid).sum((1, 2))
        false_negative = ((1 - probability) * truth).sum((1, 2))
        tversky = (true_positive + self.smooth) / (
            true_positive + self.alpha * false_positive + self.beta * false_negative
            + self.smooth)
        return self.loss_weight * (1 - tversky).mean()

    @property
    def loss_name(self) -> str:
        return self._loss_name
