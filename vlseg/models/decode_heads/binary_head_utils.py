"""Helpers shared by vlseg's one-channel (sigmoid) decode heads.

- ``build_loss_decode``: the head's ``loss_decode`` built from vlseg's registry
  (mmseg's ``build_loss`` cannot see vlseg's losses unless the default scope is
  ``'vlseg'``; vlseg's registry reaches mmseg's losses too);
- ``binary_accuracy``: ``acc_seg`` of a one-channel head, the pixel accuracy of
  ``sigmoid > threshold`` (mmseg's top-1 accuracy over a single channel would be the
  background fraction).
"""
from __future__ import annotations

from typing import Sequence, Union

import torch.nn as nn
from mmseg.models.utils import resize
from torch import Tensor

from vlseg.registry import MODELS


def build_loss_decode(loss_decode: Union[dict, Sequence[dict]]) -> nn.Module:
    """One loss (a dict) or a ``ModuleList`` of losses (a sequence of dicts)."""
    if isinstance(loss_decode, dict):
        return MODELS.build(loss_decode)
    if isinstance(loss_decode, (list, tuple)):
        return nn.ModuleList([MODELS.build(cfg) for cfg in loss_decode])
    raise TypeError(f'loss_decode must be a dict or a sequence of dicts, '
                    f'got {type(loss_decode)}')


def binary_accuracy(logits: Tensor, label: Tensor, threshold: float, ignore_index: int,
                    align_corners: bool) -> Tensor:
    """Pixel accuracy (%) of ``sigmoid(logits) > threshold`` against ``label`` ``(B, H, W)``.

    ``logits`` ``(B, 1, h, w)`` are resized (bilinear) to the label's size first;
    pixels equal to ``ignore_index`` are left out. Returns a ``(1, )`` tensor.
    """
    logits = resize(logits, size=label.shape[-2:], mode='bilinear', align_corners=align_corners)
    pred = (logits[:, 0].sigmoid() > threshold).long()
    valid = label != ignore_index
    correct = (pred[valid] == label[valid]).sum().float()
    return (correct * 100.0 / valid.sum().clamp(min=1)).reshape(1)
