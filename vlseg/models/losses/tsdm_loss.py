"""TSDM: target-sensitive semantic distance contrastive loss of TMCA (Eq. 1).

TMCA ("target-informed multilevel contrastive alignments") aligns image and text
features with a contrastive loss whose targets are not CLIP's one-hot pairs but the
*similarity of the segmentation targets*: two images whose lesions overlap are
pulled towards each other's captions. For a batch of ``B`` image-text pairs:

- target ``d[p, q] = Dice(mask_p, mask_q)``, turned into a distribution over the
  batch ``y[p, :] = softmax_q(d[p, :] / tau1)``;
- prediction ``s[p, q] = cos(image_p, text_q)``, ``P(q | p) = softmax_q(s[p, :] / tau2)``
  (image -> text) and ``P(p | q) = softmax_p(s[:, q] / tau2)`` (text -> image);
- loss = cross-entropy ``-sum_q y[p, q] log P(q | p)``, averaged over ``p``, and the
  same for text -> image (``d`` is symmetric, so both directions use the same rows
  of targets), the two directions averaged (Eq. 1).

With ``target='identity'`` the targets are the one-hot pairs ``y = I`` and the loss
is CLIP's symmetric InfoNCE (Radford et al. 2021), the "without TSDM" ablation.
One reason TSDM matters on QaTa-COV19: the dataset has only ~60 distinct captions,
so a batch of 32 holds repeated captions, which one-hot targets push apart.

No public code exists for TMCA; written from the paper's description of Eq. 1.
Our choices, none published:

- ``tau1 = 0.1``: Dice lies in [0, 1]; at 0.1 a pair with Dice 0.9 gets e^4 ~ 55 times
  the target weight of a pair with Dice 0.5, and disjoint masks give near one-hot
  targets (the diagonal keeps > 0.999 of the mass for B <= 4);
- ``tau2 = 0.07``: CLIP's initial temperature, kept fixed (not learned);
- Dice is soft-safe and smoothed, ``(2 |A n B| + eps) / (|A| + |B| + eps)`` with
  ``eps = 1e-6``, so soft (probability) masks work too, identical masks give 1,
  and **two empty masks give Dice 1** (both images say "no target": the same
  target semantics), while an empty and a non-empty mask give ~0;
- pixels ignored (``ignore_index``, e.g. the 255 of padding) in either mask of a
  pair are left out of that pair's Dice;
- a batch of one has a single candidate, so the loss is exactly 0.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vlseg.registry import MODELS

from .fp32 import fp32_loss


def pairwise_dice(masks: Tensor, ignore_index: Optional[int] = 255,
                  eps: float = 1e-6) -> Tensor:
    """``(B, B)`` Dice between every pair of masks of a batch.

    Args:
        masks: ``(B, H, W)`` (or ``(B, 1, H, W)``, or ``(B, N)``). Integer masks are
            label maps: 1 = target, ``ignore_index`` = left out, anything else =
            background. Floating masks are soft target probabilities in [0, 1]
            (nothing ignored).
        ignore_index: label excluded from a pair's Dice (integer masks only).
        eps: smoothing on numerator and denominator (two empty masks: Dice 1).
    """
    if masks.dim() == 4 and masks.shape[1] == 1:
        masks = masks[:, 0]
    flat = masks.reshape(masks.shape[0], -1)
    if flat.is_floating_point():
        target = flat.float()
        valid = torch.ones_like(target)
    else:
        valid = (flat != ignore_index).float() if ignore_index is not None else (
            torch.ones_like(flat, dtype=torch.float32))
        target = (flat == 1).float() * valid
    # |A n B| over pixels valid in both (target is already 0 where its own mask ignores).
    intersection = target @ target.t()
    # |A| over the pixels valid in B, and |B| over the pixels valid in A.
    size_in_other = target @ valid.t()
    denominator = size_in_other + size_in_other.t()
    return (2 * intersection + eps) / (denominator + eps)


@MODELS.register_module()
class TSDMContrastiveLoss(nn.Module):
    """Target-sensitive semantic distance contrastive loss (TMCA, Eq. 1).

    See the module docstring for the equation and our choices.

    Args:
        tau1: temperature of the target distribution ``softmax(Dice / tau1)``.
        tau2: temperature of the predicted distribution ``softmax(cos / tau2)``.
        target: ``'dice'`` (TSDM) or ``'identity'`` (CLIP's one-hot pairs, the
            ablation without TSDM).
        eps: Dice smoothing.
        ignore_index: mask label left out of the Dice.
        loss_weight: multiplies the loss.
        loss_name: key of the loss; must contain ``'loss'`` to be optimised.
    """

    def __init__(self, tau1: float = 0.1, tau2: float = 0.07, target: str = 'dice',
                 eps: float = 1e-6, ignore_index: Optional[int] = 255,
                 loss_weight: float = 1.0, loss_name: str = 'loss_tsdm') -> None:
        super().__init__()
        if target not in ('dice', 'identity'):
            raise ValueError(f"TSDMContrastiveLoss: target must be 'dice' or 'identity', "
                             f'got {target!r}')
        if tau1 <= 0 or tau2 <= 0:
            raise ValueError(f'TSDMContrastiveLoss: temperatures must be positive, got '
                             f'tau1={tau1}, tau2={tau2}')
        self.tau1 = float(tau1)
        self.tau2 = float(tau2)
        self.target = target
        self.eps = eps
        self.ignore_index = ignore_index
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def target_distribution(self, masks: Optional[Tensor], batch: int,
                            device: Optional[torch.device] = None) -> Tensor:
        """``(B, B)`` row-stochastic targets: ``softmax_q(Dice[p, q] / tau1)`` or ``I``."""
        if self.target == 'identity':
            return torch.eye(batch, device=device)
        if masks is None:
            raise ValueError("TSDMContrastiveLoss(target='dice') needs the batch's masks")
        if masks.shape[0] != batch:
            raise ValueError(f'TSDMContrastiveLoss: {masks.shape[0]} masks for a batch of '
                             f'{batch} feature pairs')
        with torch.no_grad():
            dice = pairwise_dice(masks.to(device), self.ignore_index, self.eps)
            return F.softmax(dice / self.tau1, dim=1)

    def similarity(self, image: Tensor, text: Tensor) -> Tensor:
        """``(B, B)`` cosine similarity ``s[p, q] = cos(image_p, text_q)``."""
        return F.normalize(image.float(), dim=-1) @ F.normalize(text.float(), dim=-1).t()

    @fp32_loss
    def forward(self, image: Tensor, text: Tensor, masks: Optional[Tensor] = None) -> Tensor:
        """Loss of ``B`` pairs.

        Args:
            image: ``(B, D)`` image embeddings.
            text: ``(B, D)`` text embeddings of the same samples.
            masks: ``(B, H, W)`` ground-truth masks (see ``pairwise_dice``); not
                needed with ``target='identity'``.
        """
        if image.dim() != 2 or image.shape != text.shape:
            raise ValueError(f'TSDMContrastiveLoss: image {tuple(image.shape)} and text '
                             f'{tuple(text.shape)} embeddings must both be (B, D)')
        batch = image.shape[0]
        target = self.target_distribution(masks, batch, image.device)
        logits = self.similarity(image, text) / self.tau2
        image_to_text = -(target * F.log_softmax(logits, dim=1)).sum(1).mean()
        # Text q over the images p: columns of the logits; Dice is symmetric, so the
        # target of text q is row q of the same matrix.
        text_to_image = -(target * F.log_softmax(logits.t(), dim=1)).sum(1).mean()
        return self.loss_weight * 0.5 * (image_to_text + text_to_image)

    @property
    def loss_name(self) -> str:
        return self._loss_name

    def extra_repr(self) -> str:
        return f'tau1={self.tau1}, tau2={self.tau2}, target={self.target!r}'
