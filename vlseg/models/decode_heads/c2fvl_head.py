"""C2FVL's decoder: a U-Net decoder with a VLAB on every skip and auxiliary heads.

Shan et al., "Coarse-to-Fine COVID-19 Segmentation via Vision-Language Alignment",
ICASSP 2023 (Fig. 1, Eq. 4-10); authors' code ``HUANGLIZI/C2FVL`` ``nets/C2FVL.py``
(``UpblockAttention``, ``outc``, ``outc2..4``) and ``utils.py`` (``WeightedDiceBCE``).
Written from the paper and that code.

Decoding, deepest first, from the hybrid encoder's maps ``x_1'' .. x_4''`` (weighted
by the lesion vector, ``LesionVectorWeighting``) and the bottleneck ``x_5``: at level
``l`` = 4, 3, 2, 1, the decoder feature is upsampled x2 (nearest), the skip goes
through a VLAB (Eq. 4-6, ``vlseg.models.layers.VLAB``), ``s_l = VLAB_l(x_l'')``, and
two conv3x3-BN-ReLU layers map ``[s_l, up]`` (concatenated) to the next width:
(512 + 512) -> 256, (256 + 256) -> 128, (128 + 128) -> 64, (64 + 64) -> 64. A 1x1
conv (``conv_seg``) gives the one-channel logits at the input resolution.

Auxiliary heads (coarse-to-fine alignment, Eq. 7-10): a 1x1 conv on each VLAB output
gives a logit map ``P_l`` at that level's resolution; ``P_1`` uses ``conv_seg`` itself
(the authors apply ``outc`` to the first VLAB output), ``P_2..P_4`` have their own
1x1 convs. ``CosineAlignmentLoss`` (``L_V2`` by default, ``L_V1`` as an option)
compares them. The data loss is on the main logits only (no deep supervision by the
mask), as the code.

Loss: ``0.5 Dice + 0.5 CE`` on the main logits (the paper) + ``L_V`` (weight 1, as
the code). The authors' code uses a squared-denominator Dice and a class-balanced
BCE (``BinaryDiceLoss(squared_denominator=True)`` + ``ClassBalancedBCELoss``);
configs choose through ``loss_decode``.

Parameters (authors' setting, ``skip_attention=dict(type='VLAB', gate='spatial')``):
decoder 3,984,384 + VLABs 1,394,612 + heads 964 (``conv_seg`` 65, auxiliary 899);
with ``HybridCNNViT`` 24,196,088 in all, the parameters the authors' forward uses.

Options the authors do not have: ``skip_attention=None`` (no VLAB: the ablation; the
auxiliary heads then read the skips), ``alignment_loss=None`` (no auxiliary heads),
and the paper's channel-gate VLAB as the default (the code's spatial gate is the
``gate='spatial'`` option). Where the implementation differs: logits out (the code
applies a sigmoid in ``forward``); the decoder feature is resized to the skip when
an input side is not a multiple of 16 (the code would fail); with one output channel,
``acc_seg`` is the accuracy of ``sigmoid > threshold``.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from vlseg.registry import MODELS

from ..layers import conv_stack
from .binary_head_utils import (
    BinaryAccuracyMixin,
    build_loss_decode,
    check_pyramid_transform,
    select_maps,
)

_DEFAULT_LOSSES = (
    dict(type='BinaryDiceLoss', loss_weight=0.5),
    dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=0.5),
)
# Read-only defaults (``None`` means "no module" for both arguments).
_DEFAULT_SKIP_ATTENTION = MappingProxyType(dict(type='VLAB'))
_DEFAULT_ALIGNMENT_LOSS = MappingProxyType(
    dict(type='CosineAlignmentLoss', mode='v2', weights=(0.5, 0.5, 0.5)))


class SkipUpBlock(nn.Module):
    """Upsample x2 (nearest), attend to the skip, concatenate ``[skip, up]``, 2 x conv-BN-ReLU."""

    def __init__(self, skip_channels: int, up_channels: int, out_channels: int,
                 attention: nn.Module) -> None:
        super().__init__()
        self.attention = attention
        self.convs = conv_stack(skip_channels + up_channels, out_channels)

    def forward(self, x: Tensor, skip: Tensor) -> tuple[Tensor, Tensor]:
        """-> (decoded ``(B, out, H_skip, W_skip)``, attended skip)."""
        up = F.interpolate(x, size=skip.shape[-2:], mode='nearest')  # x2 at multiples of 16
        attended = self.attention(skip)
        return self.convs(torch.cat([attended, up], dim=1)), attended


@MODELS.register_module()
class C2FVLHead(BinaryAccuracyMixin, BaseDecodeHead):
    """C2FVL's decoder with VLABs and auxiliary alignment heads (see the module docstring).

    Input: the five maps of the hybrid encoder (after ``LesionVectorWeighting``),
    shallow to deep; the last is the bottleneck. The text reaches the head through
    the weighted skips; the head takes no text itself.

    Args:
        in_channels: widths of the five maps (64, 128, 256, 512, 512).
        channels: width of the last decoder level, the input of ``conv_seg`` (64).
        skip_attention: config of the module on each skip, built with
            ``channels=<skip width>``: ``dict(type='VLAB')`` (the paper's channel gate),
            ``dict(type='VLAB', gate='spatial')`` (the authors' code),
            ``dict(type='PixelLevelAttention')`` (LViT), or ``None`` (identity).
        alignment_loss: config of the loss on the auxiliary maps
            (``CosineAlignmentLoss``), or ``None``: no auxiliary heads.
        loss_decode: the data loss on the main logits (0.5 Dice + 0.5 sigmoid CE).
        num_classes, out_channels, threshold: one sigmoid channel by default.
        dropout_ratio: dropout before ``conv_seg`` (0: the authors have none).
        in_index, input_transform: which inputs are the five maps.
        init_cfg: ``None`` keeps PyTorch's initialisation of ``conv_seg`` (as the authors).
        kwargs: the rest of ``BaseDecodeHead``'s arguments. The decoder's convolutions
            use BatchNorm and ReLU as the authors; ``norm_cfg``/``act_cfg`` do not change
            them.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (64, 128, 256, 512, 512),
                 channels: int = 64,
                 skip_attention: Optional[Mapping] = _DEFAULT_SKIP_ATTENTION,
                 alignment_loss: Optional[Mapping] = _DEFAULT_ALIGNMENT_LOSS,
                 loss_decode: Union[dict, Sequence[dict]] = _DEFAULT_LOSSES,
                 num_classes: int = 2,
                 out_channels: int = 1,
                 threshold: Optional[float] = 0.5,
                 dropout_ratio: float = 0.0,
                 in_index: Sequence[int] = (0, 1, 2, 3, 4),
                 input_transform: str = 'multiple_select',
                 init_cfg: Optional[Union[dict, list]] = None,
                 **kwargs) -> None:
        check_pyramid_transform(type(self).__name__, input_transform)
        in_channels = [int(c) for c in in_channels]
        if len(in_channels) < 2:
            raise ValueError(f'{type(self).__name__}: need skips and a bottleneck, got '
                             f'{in_channels}')
        # Losses are built from vlseg's registry (mmseg's build_loss cannot see vlseg's).
        super().__init__(in_channels, channels, num_classes=num_classes,
                         out_channels=out_channels, threshold=threshold,
                         dropout_ratio=dropout_ratio, in_index=list(in_index),
                         input_transform=input_transform, loss_decode=[], init_cfg=init_cfg,
                         **kwargs)
        self.loss_decode = build_loss_decode(loss_decode)

        skips = in_channels[:-1]
        # Decoder widths, deepest level first: the next shallower skip's width, then `channels`.
        widths = skips[-2::-1] + [channels]
        blocks = []
        up_channels = in_channels[-1]
        for skip, width in zip(skips[::-1], widths):
            attention = (nn.Identity() if skip_attention is None else
                         MODELS.build(dict(skip_attention, channels=skip)))
            blocks.append(SkipUpBlock(skip, up_channels, width, attention))
            up_channels = width
        self.up_blocks = nn.ModuleList(blocks)  # deepest first

        self.alignment_loss: Optional[nn.Module] = None
        self.aux_heads: Optional[nn.ModuleList] = None
        if alignment_loss is not None:
            if skips[0] != channels:
                raise ValueError(f'{type(self).__name__}: the first auxiliary map uses conv_seg, '
                                 f'so channels ({channels}) must equal the first skip width '
                                 f'({skips[0]})')
            self.alignment_loss = MODELS.build(dict(alignment_loss))
            # P_1 is conv_seg on the first VLAB output; P_2.. have their own 1x1 convs.
            self.aux_heads = nn.ModuleList([
                nn.Conv2d(c, self.out_channels, 1) for c in skips[1:]])

    def _decode(self, inputs: Sequence[Tensor]) -> tuple[Tensor, list[Tensor]]:
        """-> (last decoder map, the attended skips finest first)."""
        feats = select_maps(self, inputs)
        x = feats[-1]
        attended = []
        for block, skip in zip(self.up_blocks, feats[-2::-1]):
            x, skip_out = block(x, skip)
            attended.insert(0, skip_out)
        return x, attended

    def forward_with_aux(self, inputs: Sequence[Tensor]) -> tuple[Tensor, list[Tensor]]:
        """-> (logits ``(B, out, H, W)``, auxiliary logit maps finest first; ``[]``
        without an alignment loss)."""
        x, attended = self._decode(inputs)
        logits = self.cls_seg(x)
        if self.aux_heads is None:
            return logits, []
        aux = [self.conv_seg(attended[0])]
        aux += [head(feat) for head, feat in zip(self.aux_heads, attended[1:])]
        return logits, aux

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        # Inference: the auxiliary maps only feed the training loss.
        return self.cls_seg(self._decode(inputs)[0])

    def loss(self, inputs: Sequence[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        return self.loss_by_feat(self.forward_with_aux(inputs), batch_data_samples)

    def loss_by_feat(self, seg_logits: Union[Tensor, tuple[Tensor, list[Tensor]]],
                     batch_data_samples: SampleList) -> dict:
        """Data loss on the main logits; ``L_V`` on the auxiliary maps when given
        ``(logits, aux_maps)``."""
        logits, aux = seg_logits if isinstance(seg_logits, tuple) else (seg_logits, [])
        losses = super().loss_by_feat(logits, batch_data_samples)
        if aux:
            losses[self.alignment_loss.loss_name] = self.alignment_loss(aux)
        return losses
