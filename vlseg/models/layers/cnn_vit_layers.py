"""Building blocks of the CNN + ViT hybrid encoders of C2FVL and LViT.

Shared by ``vlseg.models.backbones.HybridCNNViT`` (C2FVL's encoder), the neck
``vlseg.models.necks.LViTViTBranch`` (LViT's text-conditioned ViT path) and the
U-Net decoders ``C2FVLHead``/``LViTHead``. Written from the authors' code
(``HUANGLIZI/C2FVL`` and ``HUANGLIZI/LViT``, ``nets/Vit.py``, ``nets/LViT.py``):

- ``ConvBNReLU``/``conv_stack``: the U-Net's conv3x3 (bias) - BN - ReLU layers
  (``ConvBatchNorm``, ``nConvs``);
- ``TokenConvBNReLU``: a token-axis ``Conv1d(k=3)``-BN-ReLU (``ConvTransBN``);
- ``ViTMLP``, ``ViTAttention``, ``ViTBlock``: a pre-norm transformer block (the
  authors' MLP has a GELU after ``fc2`` too; attention uses
  ``scaled_dot_product_attention``, the same maths); ``vit_blocks``: a stack of them;
- ``ViTLevel``: patch embedding (a ``p x p`` stride-``p`` conv), learnt position
  embeddings (zero init, dropout) and the blocks of one ViT level (Eq. 1 of C2FVL);
- ``ViTBranch``: one ``ViTLevel`` per CNN level, ``y_i = [CTBN(ViT(x_i)), y_{i-1}]``;
- ``TokenReconstruct``: Eq. 2's reconstruction, tokens -> grid -> nearest upsampling
  by the patch size -> conv1x1 - BN - ReLU; ``add_reconstructed``: Eq. 2's sum with the
  CNN maps;
- ``resize_token_grid``: position embeddings (or text tokens) laid out on a square
  grid resized bilinearly to another token grid (inputs other than 224 x 224);
- ``check_patch_sizes``: the patch sizes must halve from level to level.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.layers import DropPath
from torch import Tensor

from ..interfaces import IncompatibleComponentsError
from .conv_module import AuthorsConvModule


class ConvBNReLU(AuthorsConvModule):
    """conv3x3 (bias) - BatchNorm - ReLU, the authors' ``ConvBatchNorm`` (a ``ConvModule``)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1, bias=True,
                         norm_cfg=dict(type='BN'), act_cfg=dict(type='ReLU'),
                         legacy_names=('0', '1', '2'))


def conv_stack(in_channels: int, out_channels: int, num_convs: int = 2) -> nn.Sequential:
    """``num_convs`` ``ConvBNReLU`` layers, the first changing the width."""
    return nn.Sequential(*[ConvBNReLU(in_channels if i == 0 else out_channels, out_channels)
                           for i in range(num_convs)])


class TokenConvBNReLU(AuthorsConvModule):
    """``Conv1d(k=3, pad=1)``-BatchNorm1d-ReLU over ``L``: the authors' ``ConvTransBN``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(in_channels, out_channels, 3, padding=1, bias=True,
                         conv_cfg=dict(type='Conv1d'), norm_cfg=dict(type='BN1d'),
                         act_cfg=dict(type='ReLU'), legacy_names=('conv', 'norm', 'act'))


class ViTMLP(nn.Module):
    """fc1 - GELU - dropout - fc2 - GELU - dropout (the authors' MLP has a GELU after fc2 too)."""

    def __init__(self, dim: int, hidden_dim: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        for layer in (self.fc1, self.fc2):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.normal_(layer.bias, std=1e-6)

    def forward(self, x: Tensor) -> Tensor:
        x = self.dropout(self.act(self.fc1(x)))
        return self.dropout(self.act(self.fc2(x)))


class ViTAttention(nn.Module):
    """Multi-head self-attention with one qkv projection and an output projection."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True,
                 attn_drop: float = 0.0, proj_drop: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'ViTAttention: width {dim} is not a multiple of {num_heads} heads')
        self.num_heads = num_heads
        self.attn_drop = attn_drop
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: Tensor) -> Tensor:
        batch, length, dim = x.shape
        qkv = self.qkv(x).reshape(batch, length, 3, self.num_heads, dim // self.num_heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(
            query, key, value, dropout_p=self.attn_drop if self.training else 0.0)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(batch, length, dim)))


class ViTBlock(nn.Module):
    """Pre-norm transformer block: ``x + Attn(LN(x))``, then ``x + MLP(LN(x))``."""

    def __init__(self, dim: int, num_heads: int = 8, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0, mlp_dropout: float = 0.1) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ViTAttention(dim, num_heads, qkv_bias, attn_drop_rate, drop_rate)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = ViTMLP(dim, int(dim * mlp_ratio), mlp_dropout)
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.attn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


def resize_token_grid(tokens: Tensor, grid: tuple[int, int]) -> Tensor:
    """Resize ``(B, N, C)`` tokens laid out on a square grid to ``grid`` (bilinear)."""
    side = math.isqrt(tokens.shape[1])
    if side * side != tokens.shape[1]:
        raise ValueError(f'resize_token_grid: {tokens.shape[1]} tokens are not a square grid')
    if (side, side) == tuple(grid):
        return tokens
    batch, _, dim = tokens.shape
    maps = tokens.transpose(1, 2).reshape(batch, dim, side, side)
    maps = F.interpolate(maps, size=grid, mode='bilinear', align_corners=False)
    return maps.flatten(2).transpose(1, 2)


def check_patch_sizes(patch_sizes: Sequence[int], img_size: int) -> int:
    """Tokens per level (the same at every level), or ``ValueError`` when they differ."""
    if len(patch_sizes) != 4:
        raise ValueError(f'hybrid encoder: need 4 patch sizes, got {list(patch_sizes)}')
    sides = {(img_size >> i) // p for i, p in enumerate(patch_sizes)}
    if len(sides) != 1 or any(p << i != patch_sizes[0] for i, p in enumerate(patch_sizes)):
        raise ValueError(
            f'hybrid encoder: patch sizes {list(patch_sizes)} must halve from level to level '
            f'(each level has half the resolution) so that every level has the same token '
            f'grid; the authors use (16, 8, 4, 2)')
    side = sides.pop()
    return side * side


def vit_blocks(channels: int, depth: int = 1, num_heads: int = 8, mlp_ratio: float = 4.0,
               qkv_bias: bool = True, drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
               drop_path_rate: float = 0.0, mlp_dropout: float = 0.1) -> nn.Sequential:
    """``depth`` ``ViTBlock``s, stochastic depth rising linearly from 0 to ``drop_path_rate``."""
    rates = torch.linspace(0, drop_path_rate, depth).tolist()
    return nn.Sequential(*[
        ViTBlock(channels, num_heads, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate, rate,
                 mlp_dropout) for rate in rates])


class ViTLevel(nn.Module):
    """Patch embedding, position embedding and transformer blocks of one level (Eq. 1).

    ``forward(x, extra_tokens=None)`` maps a CNN map ``(B, C, H, W)`` to tokens
    ``(B, N, C)`` and their ``(h, w)`` grid: patch embedding, position embeddings
    (resized to the grid), dropout, ``+ extra_tokens`` (LViT's text at the first
    level, ``num_patches`` tokens, resized to the grid like the position
    embeddings), then the blocks.

    Args:
        channels: width of the CNN map and of the tokens.
        patch_size: patch (and stride) of the embedding conv.
        num_patches: tokens the position embeddings hold (196 at 224 x 224).
        depth, num_heads, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate,
        drop_path_rate, embed_dropout, mlp_dropout: the transformer's settings
            (:func:`vit_blocks`).
    """

    def __init__(self, channels: int, patch_size: int, num_patches: int, depth: int = 1,
                 num_heads: int = 8, mlp_ratio: float = 4.0, qkv_bias: bool = True,
                 drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0, embed_dropout: float = 0.1,
                 mlp_dropout: float = 0.1) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(channels, channels, patch_size, stride=patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches, channels))
        self.embed_dropout = nn.Dropout(embed_dropout)
        self.blocks = vit_blocks(channels, depth, num_heads, mlp_ratio, qkv_bias, drop_rate,
                                 attn_drop_rate, drop_path_rate, mlp_dropout)

    def embed(self, x: Tensor) -> tuple[Tensor, tuple[int, int]]:
        """``(B, C, H, W)`` -> tokens ``(B, N, C)`` (position embeddings, dropout), and grid."""
        patches = self.patch_embed(x)
        grid = tuple(patches.shape[-2:])
        tokens = patches.flatten(2).transpose(1, 2)
        return self.embed_dropout(tokens + resize_token_grid(self.pos_embed, grid)), grid

    def forward(self, x: Tensor, extra_tokens: Optional[Tensor] = None
                ) -> tuple[Tensor, tuple[int, int]]:
        """``(B, C, H, W)`` -> (tokens ``(B, N, C)`` after the blocks, token grid)."""
        tokens, grid = self.embed(x)
        if extra_tokens is not None:
            tokens = tokens + resize_token_grid(extra_tokens, grid)
        return self.blocks(tokens), grid


class ViTBranch(nn.Module):
    """The ViT path of the hybrid encoder (Eq. 1 of C2FVL): one ``ViTLevel`` per CNN level.

    ``forward(maps, first_level_tokens=None)`` returns the token sequences ``y_i``
    ``(B, N, C_i)`` of every level and the token grid. ``first_level_tokens``
    (``(B, num_patches, C_1)``) are added to the first level's embedded patches before
    its blocks: LViT's text (``LViTViTBranch``); C2FVL passes none.
    """

    def __init__(self, channels: Sequence[int], patch_sizes: Sequence[int], num_patches: int,
                 depth: int = 1, num_heads: int = 8, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0, embed_dropout: float = 0.1,
                 mlp_dropout: float = 0.1, owner: str = 'ViTBranch') -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        if any(deep <= shallow for shallow, deep in zip(channels, channels[1:])):
            raise IncompatibleComponentsError(
                f'{owner} cannot read maps of widths {channels}: its ViT path narrows each '
                'level to the width it adds to the previous one, so the widths must grow '
                'with depth (e.g. leave out a stem map as wide as the first stage)')
        self.levels = nn.ModuleList([
            ViTLevel(c, p, num_patches, depth, num_heads, mlp_ratio, qkv_bias, drop_rate,
                     attn_drop_rate, drop_path_rate, embed_dropout, mlp_dropout)
            for c, p in zip(channels, patch_sizes)])
        # From the second level on: narrow to C_i - C_{i-1}, then concatenate y_{i-1}.
        self.narrow = nn.ModuleList([
            TokenConvBNReLU(deep, deep - shallow)
            for shallow, deep in zip(channels, channels[1:])])

    def forward(self, maps: Sequence[Tensor], first_level_tokens: Optional[Tensor] = None
                ) -> tuple[list[Tensor], tuple[int, int]]:
        outputs: list[Tensor] = []
        grid: Optional[tuple[int, int]] = None
        for i, (level, x) in enumerate(zip(self.levels, maps)):
            tokens, level_grid = level(x, first_level_tokens if i == 0 else None)
            if grid is not None and level_grid != grid:
                raise ValueError(f'ViTBranch: level {i} has a {level_grid} token grid, level 0 '
                                 f'{grid}; input sides must be multiples of 16')
            grid = level_grid
            if i > 0:
                narrowed = self.narrow[i - 1](tokens.transpose(1, 2)).transpose(1, 2)
                tokens = torch.cat([narrowed, outputs[-1]], dim=2)
            outputs.append(tokens)
        return outputs, grid


class TokenReconstruct(AuthorsConvModule):
    """Eq. 2's reconstruction: tokens -> grid, nearest upsampling, conv1x1 - BN - ReLU."""

    def __init__(self, channels: int, scale: int) -> None:
        super().__init__(channels, channels, 1, bias=True, norm_cfg=dict(type='BN'),
                         act_cfg=dict(type='ReLU'), legacy_names=('conv', 'norm', 'act'))
        self.scale = scale

    def forward(self, tokens: Tensor, grid: tuple[int, int], size: tuple[int, int]) -> Tensor:
        """``(B, N, C)`` tokens on ``grid`` -> ``(B, C, *size)``."""
        batch, _, channels = tokens.shape
        x = tokens.transpose(1, 2).reshape(batch, channels, *grid)
        x = F.interpolate(x, scale_factor=self.scale, mode='nearest')
        if x.shape[-2:] != tuple(size):
            raise ValueError(f'TokenReconstruct: tokens on a {grid} grid upsampled x{self.scale} '
                             f'give {tuple(x.shape[-2:])}, not the CNN map size {tuple(size)}; '
                             'input sides must be multiples of 16')
        return super().forward(x)


def add_reconstructed(features: Sequence[Tensor], tokens: Sequence[Tensor],
                      grid: tuple[int, int], reconstruct: Sequence[TokenReconstruct]
                      ) -> tuple[Tensor, ...]:
    """Eq. 2's fusion: ``x_i + reconstruct_i(y_i)`` for each level with tokens; the
    deeper maps (the bottleneck) as they are."""
    fused = [feat + rebuild(level_tokens, grid, feat.shape[-2:])
             for feat, level_tokens, rebuild in zip(features, tokens, reconstruct)]
    return tuple(fused) + tuple(features[len(fused):])
