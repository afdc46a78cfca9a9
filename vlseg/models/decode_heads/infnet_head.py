"""Inf-Net's decoder: RFB reduction, parallel partial decoder, edge branch, reverse attention.

Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection Segmentation from CT
Images", IEEE TMI 2020; authors' code ``DengPingFan/Inf-Net``,
``Code/model_lung_infection/InfNet_Res2Net.py`` (``RFB_modified``,
``aggregation``, ``Inf_Net``; ``InfNet_ResNet.py`` and ``InfNet_VGGNet.py`` are
the same head on other encoders). Written from the paper and that code.

From the backbone levels ``f2`` (low-level) and ``f3, f4, f5`` (high-level):

- RFB-style blocks reduce ``f3, f4, f5`` to ``channels`` (32): four branches
  (1x1; 1x1 -> 1xk -> kx1 -> 3x3 dilation k for k = 3, 5, 7), concatenated,
  fused by a 3x3 conv, plus a 1x1 residual, then ReLU.
- The parallel partial decoder (PPD) aggregates them into the coarse global map
  ``S_g`` (one channel, at ``f3``'s resolution): products of upsampled deeper
  features with shallower ones, concatenations, and a final 1x1 conv (with bias).
- The edge branch on ``f2``: 1x1 -> 3x3 -> 3x3 convs (64 channels; the edge
  guidance) and a 3x3 conv to the one-channel edge map ``E``.
- Three reverse-attention blocks refine top-down, ``f5`` -> ``f4`` -> ``f3``: the
  previous map ``S`` is resized to the level, the level's feature is multiplied
  by ``1 - sigmoid(S)``, reduced by a 1x1 conv, concatenated with the edge
  guidance resized to the level, passed through convs with ReLU, and the output
  map is added to ``S``: ``S_5``, ``S_4``, ``S_3``. ``S_3`` is the prediction.
  Widths and kernels as the code: 256 channels and three 5x5 convs + a 1x1 output
  at ``f5``; 64 channels and two 3x3 convs + a 3x3 output at ``f4`` and ``f3``.

All convolutions are the code's ``BasicConv2d``: conv (no bias) + BN and no
activation (its ReLU is never called); ReLUs are only where the code applies
them (RFB output, inside reverse attention). The one-channel outputs of the edge
branch and of reverse attention are conv + BN too, as the code. ``conv_cfg``,
``norm_cfg`` and ``act_cfg`` choose those layers (default: ``nn.Conv2d``, BN,
ReLU, as the authors; e.g. ``norm_cfg=dict(type='SyncBN')`` under DDP). PyTorch's
default initialisation, as the authors (``init_cfg=None``). The building blocks
live in ``vlseg/models/layers/infnet_layers.py``.

Deep supervision (``loss_by_feat``): each of ``S_g, S_5, S_4, S_3`` is upsampled
(bilinear) to the label and scored with ``loss_decode`` (``StructureLoss``), keys
``<loss_name>_sg``, ``_s5``, ``_s4``, ``_s3``; ``E`` is scored against the edge
target ``gt_edge_map`` (pipeline transform ``MaskToEdge``) with ``loss_edge``
(sigmoid BCE), all with weight 1 as the code. ``forward`` returns the five maps
at their own resolutions ``(S_g, S_5, S_4, S_3, E)``; ``predict_by_feat`` uses
``S_3`` (the authors test on ``lateral_map_2`` = ``S_3``).

Where the implementation differs from the code: maps and guidance are resized to
the size of the level they meet instead of by fixed scale factors, so any input
size runs (at multiples of 32 the result is the same); module names follow the
paper (``ra5`` is the code's ``ra4_*``, on the deepest feature), so the authors'
checkpoints do not load as they are; the unused ``conv_seg`` of mmseg's
``BaseDecodeHead`` is removed; with one output channel ``acc_seg`` is the
accuracy of ``sigmoid(S_3) > threshold``.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.utils import resize
from mmseg.utils import SampleList
from torch import Tensor

from vlseg.registry import MODELS

from ..layers import EdgeBranch, PartialDecoder, ReverseAttention, RFBBlock
from .binary_head_utils import (
    binary_accuracy,
    build_loss_decode,
    check_pyramid_transform,
    select_maps,
)

# Names of the deeply supervised maps, in the order ``forward`` returns them (then E).
MAP_NAMES = ('sg', 's5', 's4', 's3')


@MODELS.register_module()
class InfNetHead(BaseDecodeHead):
    """Inf-Net's decoder with edge guidance and reverse attention (see the module docstring).

    Input: four backbone maps, shallow to deep: the low-level ``f2`` (edge branch)
    and ``f3, f4, f5`` (e.g. 256/512/1024/2048 channels at strides 4-32 for a
    ResNet-50; 128/256/512/512 at strides 2-16 for VGG16). Strides must double
    from ``f3`` to ``f5``.

    Args:
        in_channels: widths of ``f2, f3, f4, f5``.
        channels: RFB / PPD width (32 as the authors).
        edge_channels: width of the edge guidance (64).
        ra_channels: widths of the reverse-attention blocks at ``f3, f4, f5``
            ((64, 64, 256) as the code).
        loss_decode: loss of each deeply supervised map (``StructureLoss``); a dict
            or a list of dicts, built from vlseg's registry.
        loss_edge: loss of the edge map against ``gt_edge_map`` (sigmoid BCE,
            mmseg's ``CrossEntropyLoss(use_sigmoid=True)``).
        num_classes, out_channels, threshold: one sigmoid channel (binary lesion).
        in_index, input_transform: which backbone outputs are ``f2..f5`` (the
            backbones' level 0, the stem / VGG block 1, is not read).
        conv_cfg: convolutions (``None``: ``nn.Conv2d``, as the authors).
        norm_cfg: the norm after every convolution but ``S_g``'s output conv
            (``BN`` as the authors; required: Inf-Net's convs are conv + norm).
        act_cfg: the activation of the RFB outputs and inside reverse attention
            (``ReLU`` as the authors).
        init_cfg: ``None``: PyTorch's default initialisation (as the authors).
        kwargs: the rest of ``BaseDecodeHead``'s arguments (``ignore_index``,
            ``align_corners``...).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 channels: int = 32,
                 edge_channels: int = 64,
                 ra_channels: Sequence[int] = (64, 64, 256),
                 loss_decode: Union[dict, Sequence[dict]] = dict(type='StructureLoss'),
                 loss_edge: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                        avg_non_ignore=True, loss_weight=1.0,
                                        loss_name='loss_edge'),
                 num_classes: int = 2,
                 out_channels: int = 1,
                 threshold: float = 0.5,
                 in_index: Sequence[int] = (1, 2, 3, 4),
                 input_transform: str = 'multiple_select',
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = dict(type='BN', requires_grad=True),
                 act_cfg: Optional[dict] = dict(type='ReLU'),
                 init_cfg: Union[dict, list, None] = None,
                 **kwargs) -> None:
        check_pyramid_transform('InfNetHead', input_transform)
        in_channels = [int(c) for c in in_channels]
        if len(in_channels) != 4 or len(in_index) != 4:
            raise ValueError(f'InfNetHead: need four maps (f2, f3, f4, f5), got in_channels '
                             f'{in_channels} and in_index {list(in_index)}')
        if out_channels != 1:
            raise ValueError(f'InfNetHead predicts one sigmoid channel, got out_channels='
                             f'{out_channels}')
        if len(ra_channels) != 3:
            raise ValueError(f'InfNetHead: ra_channels needs 3 widths, got {ra_channels}')
        if norm_cfg is None or act_cfg is None:
            raise ValueError('InfNetHead: every conv is conv + norm and the RFB / reverse-'
                             'attention blocks need an activation: norm_cfg and act_cfg must '
                             f"be layer configs (dict(type='BN'), dict(type='ReLU')), got "
                             f'norm_cfg={norm_cfg}, act_cfg={act_cfg}')
        # Losses are built from vlseg's registry (mmseg's build_loss cannot see vlseg's).
        super().__init__(in_channels, channels, num_classes=num_classes,
                         out_channels=out_channels, threshold=threshold, dropout_ratio=0.0,
                         in_index=list(in_index), input_transform=input_transform,
                         conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg,
                         loss_decode=[], init_cfg=init_cfg, **kwargs)
        del self.conv_seg  # Inf-Net's outputs come from its own convs.
        self.loss_decode = build_loss_decode(loss_decode)
        self.loss_edge = MODELS.build(loss_edge)

        low, c3, c4, c5 = in_channels
        layer_cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        act_cfgs = dict(layer_cfgs, act_cfg=act_cfg)
        self.rfb3 = RFBBlock(c3, channels, **act_cfgs)
        self.rfb4 = RFBBlock(c4, channels, **act_cfgs)
        self.rfb5 = RFBBlock(c5, channels, **act_cfgs)
        self.decoder = PartialDecoder(channels, out_channels, **layer_cfgs)
        self.edge = EdgeBranch(low, edge_channels, out_channels, **layer_cfgs)
        self.ra5 = ReverseAttention(c5, edge_channels, ra_channels[2], num_convs=3,
                                    kernel_size=5, out_kernel_size=1, **act_cfgs)
        self.ra4 = ReverseAttention(c4, edge_channels, ra_channels[1], num_convs=2,
                                    kernel_size=3, out_kernel_size=3, **act_cfgs)
        self.ra3 = ReverseAttention(c3, edge_channels, ra_channels[0], num_convs=2,
                                    kernel_size=3, out_kernel_size=3, **act_cfgs)

    def forward(self, inputs: Sequence[Tensor]) -> tuple[Tensor, ...]:
        """-> ``(S_g, S_5, S_4, S_3, E)`` logits, each at its own resolution."""
        low, f3, f4, f5 = select_maps(self, inputs)
        guidance, edge = self.edge(low)
        coarse = self.decoder(self.rfb5(f5), self.rfb4(f4), self.rfb3(f3))
        s5 = self.ra5(f5, coarse, guidance)
        s4 = self.ra4(f4, s5, guidance)
        s3 = self.ra3(f3, s4, guidance)
        return coarse, s5, s4, s3, edge

    def loss_by_feat(self, seg_logits: Sequence[Tensor],
                     batch_data_samples: SampleList) -> dict:
        """Structure loss on ``S_g, S_5, S_4, S_3`` and the edge loss on ``E``."""
        *maps, edge = seg_logits
        label = self._stack_batch_gt(batch_data_samples)
        size = label.shape[2:]
        label = label.squeeze(1)
        losses: dict[str, Tensor] = {}
        loss_modules = (self.loss_decode if isinstance(self.loss_decode, nn.ModuleList)
                        else [self.loss_decode])
        for name, logits in zip(MAP_NAMES, maps):
            logits = resize(logits, size=size, mode='bilinear', align_corners=self.align_corners)
            for loss in loss_modules:
                key = f'{loss.loss_name}_{name}'
                value = loss(logits, label, ignore_index=self.ignore_index)
                losses[key] = losses[key] + value if key in losses else value
        edge_label = self._stack_batch_edge(batch_data_samples).squeeze(1)
        edge = resize(edge, size=size, mode='bilinear', align_corners=self.align_corners)
        losses[self.loss_edge.loss_name] = self.loss_edge(edge, edge_label,
                                                          ignore_index=self.ignore_index)
        with torch.no_grad():
            losses['acc_seg'] = binary_accuracy(maps[-1], label, self.threshold,
                                                self.ignore_index, self.align_corners)
        return losses

    @staticmethod
    def _stack_batch_edge(batch_data_samples: SampleList) -> Tensor:
        missing = [s.metainfo.get('img_path', '<unknown>') for s in batch_data_samples
                   if 'gt_edge_map' not in s]
        if missing:
            raise KeyError(f'InfNetHead: no gt_edge_map for {missing[0]}: add MaskToEdge to the '
                           'training pipeline, after the mask is loaded and resized')
        return torch.stack([s.gt_edge_map.data for s in batch_data_samples])

    def predict_by_feat(self, seg_logits: Sequence[Tensor], batch_img_metas: list[dict]) -> Tensor:
        """``S_3`` resized to the input, as mmseg's heads (``EncoderDecoder`` applies the
        sigmoid and resizes to the original image)."""
        return super().predict_by_feat(seg_logits[MAP_NAMES.index('s3')], batch_img_metas)
