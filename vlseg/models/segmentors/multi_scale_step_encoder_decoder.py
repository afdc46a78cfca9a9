"""An ``EncoderDecoder`` that trains each batch at several scales, one step per scale.

Inf-Net's training (Fan et al., IEEE TMI 2020; ``DengPingFan/Inf-Net``
``MyTrain_LungInf.py``, ``train``; the same loop as PraNet's): every batch is
used at the scales 0.75, 1 and 1.25 of the training size (352), each rounded to a
multiple of 32; at each scale the images, masks and edge maps are resized
(bilinear, aligned corners), and the model takes a full optimiser step (zero
grad, forward, backward, gradient clipping, step). ``train_step`` does this
with mmengine's optimiser wrapper, so ``optim_wrapper.clip_grad`` (Inf-Net:
``dict(type='value', clip_value=0.5)``) applies at every step, while the
parameter schedulers see one iteration per batch (the authors step their
learning rate per epoch).

Labels follow the authors: resized bilinearly, so masks and edge maps become
soft at the rescaled boundaries (the heads' losses must take soft targets, as
``StructureLoss`` and sigmoid BCE do); ``label_interpolation='nearest'`` keeps
integer labels for other heads. Pixels equal to the decode head's
``ignore_index`` (padding) stay ignored at every scale. The logged losses are the
means over the scales (detached).

Gradient accumulation (``optim_wrapper.accumulative_counts > 1``) is refused: the
steps per scale are the accumulation's unit, and mmengine's counters assume one
``update_params`` per iteration.

Distributed training: mmengine's ``MMDistributedDataParallel.train_step`` never
calls the model's ``train_step``. The model wrapper
``vlseg.models.wrappers.MultiScaleStepDDP`` (``model_wrapper_cfg=dict(
type='MultiScaleStepDDP')``, set by Inf-Net's base config) runs the same
per-scale loop (:meth:`MultiScaleStepEncoderDecoder.multi_scale_train_step`)
through the DDP forward, so every step's backward all-reduces the gradients.
Under another DDP wrapper the segmentor raises rather than train at one scale.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import get_world_size
from mmengine.optim import OptimWrapper
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import SampleList
from torch import Tensor

from vlseg.registry import MODELS

# Pixel-level fields of a data sample that are rescaled with the image.
LABEL_FIELDS = ('gt_sem_seg', 'gt_edge_map')


def scaled_size(size: Sequence[int], scale: float, divisor: int) -> tuple[int, int]:
    """``round(side * scale / divisor) * divisor`` per side (the authors' rounding)."""
    return tuple(int(round(side * scale / divisor) * divisor) for side in size)


def resize_label(label: Tensor, size: Sequence[int], mode: str, ignore_index: int) -> Tensor:
    """Resize a ``(C, H, W)`` label map, keeping ``ignore_index`` pixels ignored.

    ``mode='bilinear'`` (aligned corners) gives soft float labels;
    ``'nearest'`` keeps the label values and dtype.
    """
    if mode == 'nearest':
        return F.interpolate(label[None].float(), size=size, mode='nearest')[0].to(label.dtype)
    valid = label != ignore_index
    values = torch.where(valid, label.float(), torch.zeros_like(label, dtype=torch.float))
    soft = F.interpolate(values[None], size=size, mode='bilinear', align_corners=True)[0]
    valid = F.interpolate(valid[None].float(), size=size, mode='nearest')[0] > 0.5
    return torch.where(valid, soft, torch.full_like(soft, float(ignore_index)))


@MODELS.register_module()
class MultiScaleStepEncoderDecoder(EncoderDecoder):
    """mmseg's ``EncoderDecoder`` with Inf-Net's multi-scale training steps.

    Args:
        train_scales: factors of the batch's size, one optimiser step each
            (``(0.75, 1.0, 1.25)`` as the authors; ``(1.0,)``: plain training).
        scale_divisor: rescaled sides are rounded to a multiple of it (32).
        label_interpolation: ``'bilinear'`` (soft labels, the authors) or
            ``'nearest'``. Label pixels equal to the decode head's ``ignore_index``
            stay ignored.
        backbone, decode_head, neck, auxiliary_head, train_cfg, test_cfg,
        data_preprocessor, pretrained, init_cfg: as ``EncoderDecoder``.
    """

    def __init__(self,
                 backbone: dict,
                 decode_head: dict,
                 train_scales: Sequence[float] = (0.75, 1.0, 1.25),
                 scale_divisor: int = 32,
                 label_interpolation: str = 'bilinear',
                 neck: Optional[dict] = None,
                 auxiliary_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 init_cfg: Union[dict, list, None] = None) -> None:
        super().__init__(backbone=backbone, decode_head=decode_head, neck=neck,
                         auxiliary_head=auxiliary_head, train_cfg=train_cfg,
                         test_cfg=test_cfg, data_preprocessor=data_preprocessor,
                         pretrained=pretrained, init_cfg=init_cfg)
        if not train_scales or any(s <= 0 for s in train_scales):
            raise ValueError(f'train_scales must be positive factors, got {train_scales}')
        if label_interpolation not in ('bilinear', 'nearest'):
            raise ValueError("label_interpolation must be 'bilinear' or 'nearest', got "
                             f'{label_interpolation!r}')
        self.train_scales = tuple(float(s) for s in train_scales)
        self.scale_divisor = int(scale_divisor)
        self.label_interpolation = label_interpolation
        self._in_train_step = False

    def rescale_batch(self, inputs: Tensor, data_samples: SampleList,
                      scale: float) -> tuple[Tensor, SampleList]:
        """The batch at ``scale`` (unchanged when the rounded size is the same)."""
        size = scaled_size(inputs.shape[-2:], scale, self.scale_divisor)
        if size == tuple(inputs.shape[-2:]):
            return inputs, data_samples
        inputs = F.interpolate(inputs, size=size, mode='bilinear', align_corners=True)
        scaled = []
        for sample in data_samples:
            sample = sample.clone()
            for field in LABEL_FIELDS:
                if field in sample:
                    label = resize_label(sample.get(field).data, size, self.label_interpolation,
                                         self.decode_head.ignore_index)
                    sample.set_data({field: PixelData(data=label)})
            sample.set_metainfo(dict(img_shape=size, pad_shape=size))
            scaled.append(sample)
        return inputs, scaled

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> dict[str, Tensor]:
        """One optimiser step per scale of ``train_scales``; losses logged as their mean."""
        return self.multi_scale_train_step(data, optim_wrapper, self)

    def multi_scale_train_step(self, data: Union[dict, tuple, list],
                               optim_wrapper: OptimWrapper,
                               forward_model: nn.Module) -> dict[str, Tensor]:
        """The per-scale loop shared by :meth:`train_step` and ``MultiScaleStepDDP``.

        Args:
            data: the batch from the data loader (pre-processed here).
            optim_wrapper: takes one ``update_params`` per scale; no accumulation.
            forward_model: the module whose ``_run_forward(batch, mode='loss')`` runs
                the loss forward of each scale and which ``optim_wrapper.optim_context``
                gets: this model, or the DDP wrapper, whose forward synchronises the
                gradients of the backward that follows.

        Returns:
            The mean over the scales of each logged value (detached).
        """
        counts = getattr(optim_wrapper, '_accumulative_counts', 1)
        if counts != 1:
            raise ValueError(
                f'{type(self).__name__} takes one optimiser step per training scale '
                f'{self.train_scales} and does not support gradient accumulation: set '
                f'optim_wrapper.accumulative_counts to 1 (got {counts}), or train_scales='
                '(1.0,) with a plain EncoderDecoder to accumulate')
        with optim_wrapper.optim_context(forward_model):
            data = self.data_preprocessor(data, True)
        steps = []
        self._in_train_step = True
        try:
            for scale in self.train_scales:
                inputs, samples = self.rescale_batch(data['inputs'], data['data_samples'],
                                                     scale)
                with optim_wrapper.optim_context(forward_model):
                    losses = forward_model._run_forward(
                        dict(inputs=inputs, data_samples=samples), mode='loss')
                parsed, log_vars = self.parse_losses(losses)
                optim_wrapper.update_params(parsed)
                steps.append({key: value.detach() for key, value in log_vars.items()})
        finally:
            self._in_train_step = False
        return {key: torch.stack([step[key] for step in steps]).mean() for key in steps[0]}

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        if (self.training and not self._in_train_step and len(self.train_scales) > 1
                and get_world_size() > 1):
            raise RuntimeError(
                f'{type(self).__name__}: loss() was called outside its per-scale training '
                'loop in a distributed run (mmengine\'s MMDistributedDataParallel skips the '
                f'model\'s train_step), so the batch would train at one scale, not at '
                f"{self.train_scales}. Wrap the model with model_wrapper_cfg=dict("
                "type='MultiScaleStepDDP'), or set train_scales=(1.0,).")
        return super().loss(inputs, data_samples)
