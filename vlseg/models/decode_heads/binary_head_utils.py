"""Helpers shared by vlseg's one-channel (sigmoid) decode heads.

- ``build_loss_decode``: the head's ``loss_decode`` built from vlseg's registry
  (mmseg's ``build_loss`` cannot see vlseg's losses unless the default scope is
  ``'vlseg'``; vlseg's registry reaches mmseg's losses too);
- ``binary_accuracy``: ``acc_seg`` of a one-channel head, the pixel accuracy of
  ``sigmoid > threshold`` (mmseg's top-1 accuracy over a single channel would be the
  background fraction);
- ``BinaryAccuracyMixin``: puts it in place of mmseg's ``acc_seg`` in the losses of a
  head that uses ``BaseDecodeHead.loss_by_feat``;
- ``check_pyramid_transform`` / ``select_maps``: for heads that decode a feature
  pyramid, the ``input_transform`` check at build time and the selected maps checked
  against ``in_channels`` at run time.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.utils import SampleList
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


def check_pyramid_transform(head_name: str, input_transform: str) -> None:
    """A head that decodes a feature pyramid reads its maps with ``'multiple_select'``."""
    if input_transform != 'multiple_select':
        raise ValueError(f'{head_name} decodes a feature pyramid: input_transform must be '
                         f"'multiple_select', got {input_transform!r}")


def select_maps(head: BaseDecodeHead, inputs: Sequence[Tensor]) -> list[Tensor]:
    """The head's maps of ``inputs`` (``in_index``), each ``(B, in_channels[i], H, W)``."""
    feats = head._transform_inputs(inputs)
    if any(f.dim() != 4 or f.shape[1] != c for f, c in zip(feats, head.in_channels)):
        raise ValueError(f'{type(head).__name__}: expected maps with channels '
                         f'{head.in_channels} (in_index {head.in_index}), got shapes '
                         f'{[tuple(f.shape) for f in feats]}')
    return feats


def binary_accuracy(logits: Tensor, label: Tensor, threshold: float, ignore_index: int,
                    align_corners: bool) -> Tensor:
    """Pixel accuracy (%) of ``sigmoid(logits) > threshold`` against ``label`` ``(B, H, W)``.

    ``logits`` ``(B, 1, h, w)`` are resized (bilinear) to the label's size first;
    pixels equal to ``ignore_index`` are left out; a soft label (a resized mask) counts as
    lesion above 0.5. Returns a ``(1, )`` tensor.
    """
    logits = resize(logits, size=label.shape[-2:], mode='bilinear', align_corners=align_corners)
    pred = logits[:, 0].sigmoid() > threshold
    valid = label != ignore_index
    correct = (pred[valid] == (label[valid] > 0.5)).sum().float()
    return (correct * 100.0 / valid.sum().clamp(min=1)).reshape(1)


class BinaryAccuracyMixin:
    """Before ``BaseDecodeHead`` in a head's bases: with one output channel, the
    ``acc_seg`` of ``loss_by_feat`` is :func:`binary_accuracy` (the head has
    ``threshold``)."""

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: SampleList) -> dict:
        losses = super().loss_by_feat(seg_logits, batch_data_samples)
        if self.out_channels == 1:
            with torch.no_grad():
                label = self._stack_batch_gt(batch_data_samples).squeeze(1)
                losses['acc_seg'] = binary_accuracy(seg_logits, label, self.threshold,
                                                    self.ignore_index, self.align_corners)
        return losses
