"""CNN + ViT hybrid encoder of C2FVL (and of LViT, which C2FVL builds on).

Shan et al., "Coarse-to-Fine COVID-19 Segmentation via Vision-Language Alignment",
ICASSP 2023, Eq. 1-2; authors' code ``HUANGLIZI/C2FVL`` ``nets/C2FVL.py`` and
``nets/Vit.py`` (the same encoder as LViT, Li et al., IEEE TMI 2023,
``HUANGLIZI/LViT`` ``nets/LViT.py``, ``nets/Vit.py``). Written from the paper and
that code.

A U-Net CNN path (width 64: 64-128-256-512-512; ``inc`` = conv3x3-BN-ReLU, then four
max-pool + 2 x conv3x3-BN-ReLU blocks) runs beside a ViT path with one ViT level per
CNN level 1-4 (224/112/56/28 for a 224 input):

- Eq. 1: level ``i`` patch-embeds the CNN map ``x_i`` (a ``p_i x p_i`` stride-``p_i``
  conv with ``C_i`` output channels; patch sizes 16/8/4/2, so every level has
  196 = 14 x 14 tokens), adds learnt position embeddings (zero init, dropout 0.1)
  and runs ``depth`` (1) pre-norm transformer blocks (8 heads, MLP ratio 4, qkv
  bias). From level 2 on, the block output is narrowed by a token-axis
  ``Conv1d(k=3)-BN-ReLU`` to ``C_i - C_{i-1}`` channels and concatenated with the
  previous level's output, ``y_i = [CTBN(ViT(x_i)), y_{i-1}]`` (``C_i`` channels);
- Eq. 2: ``x_i' = x_i + ReLU(BN(Conv1x1(Upsample_{p_i}(y_i))))``: the tokens are
  reshaped to the 14 x 14 grid, upsampled (nearest) by the patch size, and
  reconstructed to the CNN width by a 1x1 conv, BN and ReLU.

The CNN path never reads the ViT path (``x_{i+1}`` pools the un-fused ``x_i``), so
the fused maps are computed after it. Outputs: ``(x_1', x_2', x_3', x_4', x_5)``
with widths 64/128/256/512/512 and strides 1/2/4/8/16.

Parameters: 24,196,088 at the authors' setting with C2FVL's decoder (see
``C2FVLHead``); this encoder builds only the modules the authors' forward uses.
Their ``C2FVL`` class also builds an unused second set of ViTs (``upVit*``), unused
``CTBN2``/``CTBN3``/``norm``/``head`` layers in every ViT, text convolutions and
``conv_sig`` layers that its forward never calls (40.5M built, 24.2M used).

Where this implementation differs from the authors' code:

- ``with_vit=False`` returns the CNN path alone (LViT's encoder: its text-conditioned
  ViT path is ``vlseg.models.necks.LViTViTBranch``, because text reaches necks and
  heads, not backbones);
- at a token grid other than the one the position embeddings were built for
  (``img_size / 16``), they are resized bilinearly, so inputs of any multiple of 16
  run (the authors' code runs at 224 x 224 only); at 224 nothing changes;
- attention uses ``scaled_dot_product_attention`` (same maths); module names differ,
  so the authors' checkpoints do not load as they are.

The building blocks (conv and ViT layers, the ViT path ``ViTBranch``, the
reconstruction) live in ``vlseg.models.layers.cnn_vit_layers``, shared with LViT's
neck and the U-Net decoders.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

from ..layers import (
    ConvBNReLU,
    TokenReconstruct,
    ViTBranch,
    add_reconstructed,
    check_patch_sizes,
    conv_stack,
)


@MODELS.register_module()
class HybridCNNViT(BaseModule):
    """C2FVL's CNN + ViT hybrid encoder (Eq. 1-2); see the module docstring.

    Args:
        in_channels: image channels.
        base_channels: U-Net width (64); the levels have ``base * (1, 2, 4, 8, 8)``.
        with_vit: build the ViT path and fuse it (Eq. 1-2); ``False`` builds the CNN
            path alone, a plain U-Net encoder (``inc`` + four max-pool + 2 x
            conv-BN-ReLU blocks, no ViT parameters): LViT's backbone, whose ViT path is
            the text-aware neck ``LViTViTBranch``.
        img_size: input side the position embeddings are built for (224).
        patch_sizes: patch size per ViT level (16, 8, 4, 2): ``img_size / 16`` tokens a
            side at every level.
        depth, num_heads, mlp_ratio, qkv_bias: transformer blocks per level (1), heads
            (8), MLP ratio (4), qkv bias (True), as the authors.
        drop_rate, attn_drop_rate, drop_path_rate: projection, attention and stochastic
            depth dropout (0 as the authors).
        embed_dropout, mlp_dropout: dropout after the position embeddings and in the
            MLP (0.1 as the authors).
        init_cfg: mmengine init config.

    Attributes:
        out_channels: widths of the five outputs; ``strides``: their strides.
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 64, with_vit: bool = True,
                 img_size: int = 224, patch_sizes: Sequence[int] = (16, 8, 4, 2),
                 depth: int = 1, num_heads: int = 8, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0, embed_dropout: float = 0.1,
                 mlp_dropout: float = 0.1,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        widths = [base_channels * m for m in (1, 2, 4, 8, 8)]
        self.out_channels: tuple[int, ...] = tuple(widths)
        self.strides: tuple[int, ...] = (1, 2, 4, 8, 16)
        self.inc = ConvBNReLU(in_channels, widths[0])
        self.downs = nn.ModuleList([
            nn.Sequential(nn.MaxPool2d(2), conv_stack(c_in, c_out))
            for c_in, c_out in zip(widths[:-1], widths[1:])])
        self.vit: Optional[ViTBranch] = None
        self.reconstruct: Optional[nn.ModuleList] = None
        if with_vit:
            patch_sizes = [int(p) for p in patch_sizes]
            num_patches = check_patch_sizes(patch_sizes, img_size)
            self.vit = ViTBranch(widths[:4], patch_sizes, num_patches, depth, num_heads,
                                 mlp_ratio, qkv_bias, drop_rate, attn_drop_rate,
                                 drop_path_rate, embed_dropout, mlp_dropout)
            self.reconstruct = nn.ModuleList([
                TokenReconstruct(c, p) for c, p in zip(widths[:4], patch_sizes)])

    def cnn_features(self, x: Tensor) -> list[Tensor]:
        """The CNN path: ``x_1 .. x_5``."""
        features = [self.inc(x)]
        for down in self.downs:
            features.append(down(features[-1]))
        return features

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        features = self.cnn_features(x)
        if self.vit is None:
            return tuple(features)
        tokens, grid = self.vit(features[:4])
        return add_reconstructed(features, tokens, grid, self.reconstruct)
