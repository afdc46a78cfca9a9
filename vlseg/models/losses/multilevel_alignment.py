"""MAS: TMCA's multilevel contrastive alignment (TSDM-8/16/32/G).

TMCA ("target-informed multilevel contrastive alignments") applies its TSDM
contrastive loss (Eq. 1, ``TSDMContrastiveLoss``) between the caption and the image
at several depths of the image encoder: the maps of strides 8, 16 and 32 and the
global pooled feature (TSDM-8 / TSDM-16 / TSDM-32 / TSDM-G). The alignment loss
is the mean over the levels, ``L_CA = mean_l TSDM_l``, and the training loss is
``L_CA + Dice + CE``. Levels are named ``'s8'``, ``'s16'``, ``'s32'`` (maps by
stride) and ``'pooled'`` (TSDM-G; not ``'global'``, a Python keyword that a config
dumped by mmengine cannot hold as a ``dict(...)`` key).

No public code exists for TMCA; written from the paper's description. Our choices:

- image vector of a map level = global average pool of that backbone map; of the
  global level = the backbone's global vector (``TimmConvNeXt``'s final-LayerNorm
  pooled feature, LanGuideMedSeg's ``pooler_output``);
- the paper projects the text into each level's image dimension: the pooled text
  feature ``text['pooled']`` (e.g. CXR-BERT's [CLS] of the mean of its last three
  layers) goes through one Linear per level to that level's width ``C_l`` (192, 384,
  768, 768 for ConvNeXt-Tiny), and the image vector is used as it is (default,
  ``embed_dim=None``); no non-linearity. ``embed_dim=512`` instead projects both
  sides of every level to 512 by a Linear each (the width of LanGuideMedSeg's
  ``project_head``), an option of ours;
- equal weights for the levels (a plain mean), times ``loss_weight = 1``;
- this module is a loss with parameters (it owns its projections), not a neck:
  it never changes the features the decode head sees.

The per-level values are returned detached for logging under names without
``'loss'`` (``align_s8``...), because mmengine sums every key containing ``'loss'``.
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

#: Position of each level in a ``TimmConvNeXt`` output tuple (4 maps, then the global vector).
DEFAULT_FEATURE_INDEX = {'s4': 0, 's8': 1, 's16': 2, 's32': 3, 'pooled': 4}
#: ConvNeXt-Tiny widths.
DEFAULT_IN_CHANNELS = {'s4': 96, 's8': 192, 's16': 384, 's32': 768, 'pooled': 768}


@MODELS.register_module()
class MultiLevelAlignment(BaseModule):
    """Contrastive image-text alignment at several backbone levels (TMCA's MAS).

    Args:
        levels: the aligned levels, any non-empty subset of ``feature_index``'s
            keys; TMCA: ``('s8', 's16', 's32', 'pooled')``.
        in_channels: width of each level's image feature, a mapping level -> width
            (extra entries are ignored) or a sequence in the order of ``levels``.
        text_channels: width of ``text['pooled']`` (768 for CXR-BERT).
        embed_dim: ``None`` (the paper): the text is projected to each level's image
            width and the image vector is not projected; an int: both sides are
            projected to that width.
        loss: config of the contrastive loss applied at each level
            (``TSDMContrastiveLoss``; ``target='identity'`` for plain CLIP targets).
        loss_weight: multiplies the mean over the levels.
        feature_index: position of each level in the image feature tuple; a map
            level is average-pooled, a ``(B, C)`` entry is used as it is.
        text_key: key of the pooled text feature in the text dict.
        loss_name: key of the total alignment loss (must contain ``'loss'``).
        log_prefix: prefix of the detached per-level values (must not contain
            ``'loss'``).
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 levels: Sequence[str] = ('s8', 's16', 's32', 'pooled'),
                 in_channels: Union[Mapping[str, int], Sequence[int]] = DEFAULT_IN_CHANNELS,
                 text_channels: int = 768,
                 embed_dim: Optional[int] = None,
                 loss: dict = dict(type='TSDMContrastiveLoss'),
                 loss_weight: float = 1.0,
                 feature_index: Mapping[str, int] = DEFAULT_FEATURE_INDEX,
                 text_key: str = 'pooled',
                 loss_name: str = 'loss_align',
                 log_prefix: str = 'align_',
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(levels, str):
            levels = (levels,)
        levels = tuple(str(level) for level in levels)
        feature_index = {str(k): int(v) for k, v in dict(feature_index).items()}
        if not levels:
            raise ValueError('MultiLevelAlignment: levels must not be empty (to disable the '
                             'alignment, set the segmentor\'s alignment=None)')
        if len(set(levels)) != len(levels):
            raise ValueError(f'MultiLevelAlignment: repeated levels {levels}')
        unknown = [level for level in levels if level not in feature_index]
        if unknown:
            raise ValueError(f'MultiLevelAlignment: unknown levels {unknown}; known: '
                             f'{sorted(feature_index)} (extend feature_index)')
        if isinstance(in_channels, Mapping):
            missing = [level for level in levels if level not in in_channels]
            if missing:
                raise ValueError(f'MultiLevelAlignment: in_channels has no width for {missing}')
            widths = [int(in_channels[level]) for level in levels]
        else:
            widths = [int(c) for c in in_channels]
            if len(widths) != len(levels):
                raise ValueError(f'MultiLevelAlignment: {len(widths)} in_channels for '
                                 f'{len(levels)} levels {levels}')
        if 'loss' not in loss_name:
            raise ValueError(f"MultiLevelAlignment: loss_name {loss_name!r} must contain 'loss'")
        if 'loss' in log_prefix:
            raise ValueError(f"MultiLevelAlignment: log_prefix {log_prefix!r} must not contain "
                             "'loss' (mmengine would add the logged values to the loss)")
        self.levels = levels
        self.in_channels = dict(zip(levels, widths))
        self.text_channels = int(text_channels)
        self.embed_dim = None if embed_dim is None else int(embed_dim)
        self.feature_index = {level: feature_index[level] for level in levels}
        self.text_key = text_key
        self.text_inputs = (text_key,)
        self.loss_weight = float(loss_weight)
        self.loss_name = loss_name
        self.log_prefix = log_prefix
        if self.embed_dim is None:
            self.image_proj = nn.ModuleDict(
                {level: nn.Identity() for level in levels})
            self.text_proj = nn.ModuleDict(
                {level: nn.Linear(self.text_channels, width)
                 for level, width in self.in_channels.items()})
        else:
            self.image_proj = nn.ModuleDict(
                {level: nn.Linear(width, self.embed_dim)
                 for level, width in self.in_channels.items()})
            self.text_proj = nn.ModuleDict(
                {level: nn.Linear(self.text_channels, self.embed_dim) for level in levels})
        self.loss = MODELS.build(loss)

    def image_vector(self, image_features: Sequence[Tensor], level: str) -> Tensor:
        """``(B, C)`` image vector of a level: pooled map, or the global vector itself."""
        index = self.feature_index[level]
        if not -len(image_features) <= index < len(image_features):
            raise IndexError(
                f'MultiLevelAlignment: level {level!r} reads image feature {index}, but the '
                f'backbone returned {len(image_features)} (the pooled level needs a backbone '
                'that appends its global vector, e.g. TimmConvNeXt(with_global=True))')
        feature = image_features[index]
        if feature.dim() == 4:
            feature = feature.mean(dim=(2, 3))
        elif feature.dim() != 2:
            raise ValueError(f'MultiLevelAlignment: level {level!r}: expected a (B, C, H, W) '
                             f'map or a (B, C) vector, got {tuple(feature.shape)}')
        if feature.shape[1] != self.in_channels[level]:
            raise ValueError(f'MultiLevelAlignment: level {level!r} has {feature.shape[1]} '
                             f'channels, in_channels says {self.in_channels[level]}')
        return feature

    def forward(self, image_features: Sequence[Tensor], text: dict,
                gt_masks: Tensor) -> dict[str, Tensor]:
        """Alignment loss of a batch.

        Args:
            image_features: the backbone tuple (e.g. 4 maps then the global vector).
            text: the text source's dict; ``text[text_key]`` ``(B, C_text)`` is used.
            gt_masks: ``(B, H, W)`` long ground truth (1 = target, 255 = ignored),
                at any resolution (the input's).

        Returns:
            ``{loss_name: weighted mean over levels}`` plus the detached per-level
            losses ``{log_prefix + level: ...}``.
        """
        if not isinstance(text, dict) or self.text_key not in text:
            keys = sorted(text) if isinstance(text, dict) else type(text).__name__
            raise KeyError(f'MultiLevelAlignment needs text[{self.text_key!r}] (B, C) pooled '
                           f'text features; got {keys}')
        pooled = text[self.text_key]
        if pooled.dim() != 2 or pooled.shape[1] != self.text_channels:
            raise ValueError(f'MultiLevelAlignment: text[{self.text_key!r}] has shape '
                             f'{tuple(pooled.shape)}, expected (B, {self.text_channels})')
        if gt_masks.dim() == 4 and gt_masks.shape[1] == 1:
            gt_masks = gt_masks[:, 0]
        outputs: dict[str, Tensor] = {}
        per_level = []
        for level in self.levels:
            image = self.image_proj[level](self.image_vector(image_features, level))
            caption = self.text_proj[level](pooled.to(image.dtype))
            value = self.loss(image, caption, gt_masks)
            per_level.append(value)
            outputs[f'{self.log_prefix}{level}'] = value.detach()
        total = self.loss_weight * torch.stack(per_level).mean()
        return {self.loss_name: total, **outputs}

    def extra_repr(self) -> str:
        return (f'levels={self.levels}, embed_dim={self.embed_dim}, '
                f'loss_weight={self.loss_weight}')
