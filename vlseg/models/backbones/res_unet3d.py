"""3D residual U-Net with the RA block (residual attention with 3D position terms).

"Medical image segmentation of COVID-19 based on deep learning" (the 3D RA-UNet
seed; no public code). A 3D U-Net with 5 levels of 16-32-64-128-256 channels: two
residual blocks per encoder level, one per decoder level, 3x3x3 stride-2
convolutions down, trilinear upsampling up. The RA block is a ResNet-50-style
bottleneck (1x1x1 reduce, *multi-head self-attention* in place of the 3x3x3
convolution, 1x1x1 expand, identity shortcut) as in BoTNet (Srinivas et al., CVPR
2021): the attention logits of query ``q`` and key ``k`` at voxel positions are
``q . (k + r)`` with ``r = w_d + w_h + w_w``, one learned vector per position along
each axis, added to the keys (BoTNet's 2D ``r = w_h + w_w``, here in 3D). Those
terms fix the spatial size the block accepts: patches of the training size, so whole
volumes go through sliding windows of that size (``VolumeSegmentor``).

Where the paper is silent, or we choose:

- **Which level.** "The penultimate decoder level": we read it as the decoder
  level just above the bottleneck (stride 8, 128 channels), counting levels from
  the bottom. Counted from the output it would be stride 2, whose 96 x 96 x 16 =
  147,456 voxels of a 192 x 192 x 32 patch would need a 147k x 147k attention
  matrix per head; at stride 8 it is 24 x 24 x 4 = 2,304 tokens.
  ``ra_level`` (index into ``channels``) chooses another.
- **Bottleneck widths.** ResNet-50's reduction 4 (128 -> 32 -> 128) and BoTNet's 4
  heads (``ra_reduction``, ``ra_heads``); logits scaled by ``1 / sqrt(d_head)``. The
  position terms are absolute per axis (BoTNet's ``abs`` variant, in 3D), as the paper's
  ``w_d + w_h + w_w`` says, not BoTNet's default relative logits.
- **Normalisation and activation.** Not stated: instance norm and LeakyReLU(0.01),
  nnU-Net's choice for 3D CT patches at small batch sizes (``norm_cfg``, ``act_cfg``).
- ``ra_level=None`` is the 3D U-Net baseline: the same network without RA.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

CONV3D = dict(type='Conv3d')


class ResidualBlock3D(nn.Module):
    """Two 3x3x3 conv-norm layers with an identity (or 1x1x1 projection) shortcut."""

    def __init__(self, in_channels: int, out_channels: int, norm_cfg: dict,
                 act_cfg: dict) -> None:
        super().__init__()
        self.conv1 = ConvModule(in_channels, out_channels, 3, padding=1, conv_cfg=CONV3D,
                                norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv2 = ConvModule(out_channels, out_channels, 3, padding=1, conv_cfg=CONV3D,
                                norm_cfg=norm_cfg, act_cfg=None)
        self.shortcut = (nn.Identity() if in_channels == out_channels else ConvModule(
            in_channels, out_channels, 1, conv_cfg=CONV3D, norm_cfg=norm_cfg, act_cfg=None))
        self.act = MODELS.build(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.conv2(self.conv1(x)) + self.shortcut(x))


class PositionalSelfAttention3D(nn.Module):
    """Multi-head self-attention over the voxels of a ``size`` feature, keys plus
    ``w_d + w_h + w_w`` (one learned vector per position along each axis and head)."""

    def __init__(self, channels: int, size: Sequence[int], num_heads: int) -> None:
        super().__init__()
        if channels % num_heads:
            raise ValueError(f'RA block: {channels} channels do not split into {num_heads} '
                             'heads')
        self.size = tuple(int(s) for s in size)
        self.num_heads = num_heads
        self.head_dim = channels // num_heads
        self.qkv = nn.Conv3d(channels, 3 * channels, 1, bias=False)
        shape = (num_heads, self.head_dim)
        std = self.head_dim ** -0.5
        self.pos_d = nn.Parameter(torch.randn(*shape, self.size[0], 1, 1) * std)
        self.pos_h = nn.Parameter(torch.randn(*shape, 1, self.size[1], 1) * std)
        self.pos_w = nn.Parameter(torch.randn(*shape, 1, 1, self.size[2]) * std)

    def position(self) -> Tensor:
        """``r = w_d + w_h + w_w``: ``(heads, N, head_dim)`` over the ``N`` voxels."""
        r = self.pos_d + self.pos_h + self.pos_w
        return r.flatten(2).transpose(1, 2)

    def forward(self, x: Tensor) -> Tensor:
        batch, channels = x.shape[:2]
        if tuple(x.shape[2:]) != self.size:
            raise ValueError(
                f'RA block: built for features of size {self.size} (its position terms '
                f'are learned per position), given {tuple(x.shape[2:])}: feed patches of the '
                'training size (whole volumes go through sliding windows of it)')
        q, k, v = self.qkv(x).reshape(batch, 3, self.num_heads, self.head_dim, -1).unbind(1)
        q, k, v = (t.transpose(2, 3) for t in (q, k, v))  # (B, heads, N, head_dim)
        k = k + self.position().to(k.dtype)
        out = F.scaled_dot_product_attention(q, k, v)
        return out.transpose(2, 3).reshape(batch, channels, *self.size)


class RABlock3D(nn.Module):
    """BoTNet-style bottleneck: 1x1x1 reduce, 3D positional MHSA, 1x1x1 expand, identity."""

    def __init__(self, channels: int, size: Sequence[int], num_heads: int, reduction: int,
                 norm_cfg: dict, act_cfg: dict) -> None:
        super().__init__()
        mid = channels // reduction
        self.reduce = ConvModule(channels, mid, 1, conv_cfg=CONV3D, norm_cfg=norm_cfg,
                                 act_cfg=act_cfg)
        self.attention = PositionalSelfAttention3D(mid, size, num_heads)
        self.attention_norm = build_norm_layer(norm_cfg, mid)[1]
        self.attention_act = MODELS.build(act_cfg)
        self.expand = ConvModule(mid, channels, 1, conv_cfg=CONV3D, norm_cfg=norm_cfg,
                                 act_cfg=None)
        self.act = MODELS.build(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        y = self.attention_act(self.attention_norm(self.attention(self.reduce(x))))
        return self.act(self.expand(y) + x)


@MODELS.register_module()
class ResUNet3D(BaseModule):
    """3D residual U-Net, with the RA block at decoder level ``ra_level`` (or none).

    Args:
        in_channels: image channels (1 for CT).
        channels: widths of the levels, finest first (the paper: 16-32-64-128-256).
        encoder_blocks: residual blocks per encoder level (2).
        decoder_blocks: residual blocks per decoder level (1).
        ra_level: decoder level (index into ``channels``) holding the RA block; ``None``
            builds the 3D U-Net baseline. Default 3: stride 8, 128 channels.
        patch_size: the training patch ``(X, Y, Z)``; the RA block's position terms
            are sized for it (``patch_size / 2 ** ra_level``).
        ra_heads, ra_reduction: attention heads and bottleneck reduction of RA.
        norm_cfg, act_cfg: normalisation and activation of every block.
        init_cfg: mmengine init config.

    ``forward`` takes ``(B, in_channels, X, Y, Z)`` with every size a multiple of
    ``2 ** (len(channels) - 1)`` and returns the last decoder feature
    ``(B, channels[0], X, Y, Z)``.
    """

    def __init__(self, in_channels: int = 1, channels: Sequence[int] = (16, 32, 64, 128, 256),
                 encoder_blocks: int = 2, decoder_blocks: int = 1, ra_level: Optional[int] = 3,
                 patch_size: Sequence[int] = (192, 192, 32), ra_heads: int = 4,
                 ra_reduction: int = 4, norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        norm_cfg = norm_cfg or dict(type='IN3d', affine=True)
        act_cfg = act_cfg or dict(type='LeakyReLU', negative_slope=0.01)
        channels = [int(c) for c in channels]
        self.channels = channels
        self.divisor = 2 ** (len(channels) - 1)
        self.patch_size = tuple(int(s) for s in patch_size)
        if ra_level is not None and not 0 <= ra_level < len(channels) - 1:
            raise ValueError(f'ResUNet3D: ra_level must be a decoder level, 0..'
                             f'{len(channels) - 2}, or None; got {ra_level}')
        if any(s % self.divisor for s in self.patch_size):
            raise ValueError(f'ResUNet3D: patch_size {self.patch_size} must be a multiple of '
                             f'{self.divisor} along every axis ({len(channels)} levels)')
        self.ra_level = ra_level
        self.encoder = nn.ModuleList()
        for level, width in enumerate(channels):
            blocks = [] if level == 0 else [ConvModule(
                channels[level - 1], width, 3, stride=2, padding=1, conv_cfg=CONV3D,
                norm_cfg=norm_cfg, act_cfg=act_cfg)]
            previous = in_channels if level == 0 else width
            for _ in range(encoder_blocks):
                blocks.append(ResidualBlock3D(previous, width, norm_cfg, act_cfg))
                previous = width
            self.encoder.append(nn.Sequential(*blocks))
        self.decoder = nn.ModuleList()
        for level in range(len(channels) - 2, -1, -1):
            width = channels[level]
            blocks = [ResidualBlock3D(channels[level + 1] + width if i == 0 else width, width,
                                      norm_cfg, act_cfg) for i in range(decoder_blocks)]
            if level == ra_level:
                size = [s // 2 ** level for s in self.patch_size]
                blocks.append(RABlock3D(width, size, ra_heads, ra_reduction, norm_cfg,
                                        act_cfg))
            self.decoder.append(nn.Sequential(*blocks))
        self.out_channels = channels[0]

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 5 or any(s % self.divisor for s in x.shape[2:]):
            raise ValueError(f'ResUNet3D: expected (B, C, X, Y, Z) with sizes multiple of '
                             f'{self.divisor}, got {tuple(x.shape)}')
        skips = []
        for stage in self.encoder:
            x = stage(x)
            skips.append(x)
        x = skips.pop()
        for stage in self.decoder:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[2:], mode='trilinear', align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
        return x
