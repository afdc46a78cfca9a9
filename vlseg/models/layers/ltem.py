"""LTEM: TMCA's language-guided target enhancement module.

TMCA ("target-informed multilevel contrastive alignments") reweights the decoder's
features by how much each deep image sub-region agrees with the caption:
``w_i = I_i . T_g`` for every sub-region ``i`` of a deep image feature map and the
global text feature ``T_g``, a softmax over the regions with temperature ``tau3``,
reshaped to the map, upsampled x2 and multiplied into the decoded feature of the
next (finer) decoder stage. ``GuideDecoderHead(ltem=...)`` places it.

No public code exists for TMCA; written from the paper's description. Our choices:

- both sides are projected to a common width ``embed_dim = 256`` (a 1x1 conv on the
  image map, a Linear on ``T_g``), trained by the segmentation loss only (they do not
  share MAS's contrastive projections);
- ``normalize=True``: ``I_i . T_g`` is computed between L2-normalised vectors (a
  cosine), so ``tau3`` has a fixed meaning (logits in ``[-1/tau3, 1/tau3]``); with
  raw dot products the learnable projections would make ``tau3`` redundant;
- ``tau3 = 0.1`` (not published);
- upsampling is bilinear (``align_corners=False``); when the decoded feature is not
  exactly twice the size (inputs not a multiple of 32) the weights are resized to it;
- ``mode='plain'`` (default) is the paper's multiplication, ``out = x * w``. The
  softmax over ``N = h * w`` regions averages ``1 / N`` (1/49 at 7 x 7), so it shrinks
  the decoded feature by ~N (the next stage's LayerNorm and BatchNorm rescale it) and
  suppresses every region the attention misses, which is the point of the module once
  the projections have learned, and a risk while they are random.
  ``mode='residual'``, ``out = x * (1 + N * w)``, is ours and kept as an option for
  that reason: ``N * w`` has mean 1, so a uniform attention is a constant gain, and the
  identity path keeps every region's feature and its gradient alive while the
  projections learn. ``mode='scaled'`` (``x * N * w``: uniform attention = identity,
  regions can still be suppressed) sits between the two.
"""
from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

_MODES = ('plain', 'residual', 'scaled')


@MODELS.register_module()
class LTEM(BaseModule):
    """Language-guided target enhancement (TMCA): text-region attention on a deep map.

    Args:
        image_channels: width ``C_img`` of the deep image map the weights come from.
        text_channels: width of the global text feature ``T_g``.
        embed_dim: common width of the projections.
        tau: temperature ``tau3`` of the softmax over regions.
        normalize: cosine (``True``) or raw dot product between the projections.
        mode: how the weights enter the decoded feature: ``'plain'`` ``x * w`` (the
            paper's), ``'residual'`` ``x * (1 + N w)`` or ``'scaled'`` ``x * N w``
            (``N`` regions of the deep map).
        scale_factor: upsampling of the weights (2: the next stage's resolution).
        init_cfg: mmengine init config.
    """

    def __init__(self, image_channels: int, text_channels: int, embed_dim: int = 256,
                 tau: float = 0.1, normalize: bool = True, mode: str = 'plain',
                 scale_factor: int = 2,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mode not in _MODES:
            raise ValueError(f'LTEM: mode must be one of {_MODES}, got {mode!r}')
        if tau <= 0:
            raise ValueError(f'LTEM: tau must be positive, got {tau}')
        self.image_channels = int(image_channels)
        self.text_channels = int(text_channels)
        self.embed_dim = int(embed_dim)
        self.tau = float(tau)
        self.normalize = normalize
        self.mode = mode
        self.scale_factor = scale_factor
        self.image_proj = nn.Conv2d(self.image_channels, self.embed_dim, kernel_size=1)
        self.text_proj = nn.Linear(self.text_channels, self.embed_dim)

    def attention(self, image: Tensor, text: Tensor) -> Tensor:
        """``(B, 1, h, w)`` weights, ``softmax`` over the ``h * w`` regions of ``image``.

        Args:
            image: ``(B, C_img, h, w)`` deep image map.
            text: ``(B, C_text)`` global text feature.
        """
        if image.dim() != 4 or image.shape[1] != self.image_channels:
            raise ValueError(f'LTEM: expected an image map (B, {self.image_channels}, h, w), '
                             f'got {tuple(image.shape)}')
        if text.dim() != 2 or text.shape[1] != self.text_channels:
            raise ValueError(f'LTEM: expected a global text feature (B, {self.text_channels}), '
                             f'got {tuple(text.shape)}')
        batch, _, height, width = image.shape
        regions = self.image_proj(image).flatten(2)               # (B, D, N)
        query = self.text_proj(text.to(regions.dtype))            # (B, D)
        if self.normalize:
            regions = F.normalize(regions, dim=1)
            query = F.normalize(query, dim=1)
        scores = torch.einsum('bdn,bd->bn', regions, query) / self.tau
        return scores.softmax(dim=1).reshape(batch, 1, height, width)

    def forward(self, image: Tensor, text: Tensor, decoded: Tensor) -> Tensor:
        """Reweight ``decoded`` ``(B, C, H, W)`` (``H, W ~ 2h, 2w``) by the region weights."""
        weights = self.attention(image, text)
        regions = weights.shape[-2] * weights.shape[-1]
        weights = F.interpolate(weights, scale_factor=self.scale_factor, mode='bilinear',
                                align_corners=False)
        if weights.shape[-2:] != decoded.shape[-2:]:
            weights = F.interpolate(weights, size=decoded.shape[-2:], mode='bilinear',
                                    align_corners=False)
        if self.mode == 'plain':
            return decoded * weights
        if self.mode == 'residual':
            return decoded * (1 + regions * weights)
        return decoded * (regions * weights)

    def extra_repr(self) -> str:
        return (f'image_channels={self.image_channels}, text_channels={self.text_channels}, '
                f'embed_dim={self.embed_dim}, tau={self.tau}, normalize={self.normalize}, '
                f'mode={self.mode!r}')
