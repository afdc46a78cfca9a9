"""LViT's text-conditioned ViT path, fused into the CNN features.

Li et al., "LViT: Language meets Vision Transformer in Medical Image Segmentation",
IEEE TMI 2023; authors' code ``HUANGLIZI/LViT`` ``nets/LViT.py`` and ``nets/Vit.py``.
Written from the paper and that code. C2FVL's hybrid encoder
(``vlseg.models.backbones.HybridCNNViT``) is this encoder without the text and
without the second (up) ViT pass; the two share their building blocks
(``vlseg.models.layers.cnn_vit_layers``).

LViT = ``HybridCNNViT(with_vit=False)`` (the CNN path) + this neck + ``LViTHead``.
The CNN path never reads the ViT path, so running the ViT path after it, in a neck,
is the authors' computation; it is a neck because text reaches necks and heads.

1. Text: per-word features ``(B, 10, 768)`` (BERT-base, ``WordFeatureEncoder``) go
   through four token-axis ``Conv1d(k=3)`` layers, 768 -> 512 -> 256 -> 128 -> 64
   (no norm or activation between them, as the authors), then
   ``Conv1d(10 -> 196 tokens, k=3)``-BN-ReLU, which turns the 10 words into one
   feature per patch of the first level. (The authors feed the intermediate 512/
   256/128-wide maps to the deeper ViTs too, which ignore them.)
2. Down pass (the ViT path of ``HybridCNNViT``, Eq. 1 of C2FVL): the 196 text tokens
   are added to the first level's embedded patches before its transformer block;
   ``y_i = [CTBN(ViT_i(x_i)), y_{i-1}]``.
3. Up pass (LViT only): a second transformer block per level, deep to shallow,
   ``z_4 = Block(y_4)``, ``z_i = Block(y_i) + CTBN2(z_{i+1})`` with CTBN2 a token-axis
   ``Conv1d(C_{i+1} -> C_i, k=3)``-BN-ReLU.
4. Reconstruction and fusion (Eq. 2 of C2FVL): ``x_i' = x_i + ReLU(BN(Conv1x1(
   Upsample_{p_i}(z_i))))``.

Parameters: 29,908,033 with ``LViTHead`` at the authors' setting (768-d text), the
modules the authors' forward uses; LViT reports 29.7M (thop's count, which misses
the 188,160 position-embedding parameters: 29,719,873). The authors' class builds
39.9M (unused ``upVit*`` patch embeddings, ``CTBN``/``CTBN3`` copies, ``norm``,
``head``, ``pix_module*``, ``conv_sig``).

Where this implementation differs from the authors' code: at a token grid other than
``img_size / 16`` a side, the 196 text tokens and the position embeddings are resized
bilinearly on their 14 x 14 grid (the authors run at 224 x 224 only); module names
differ, so the authors' checkpoints do not load as they are.
"""
from __future__ import annotations

from typing import Optional, Sequence, Union

import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from vlseg.registry import MODELS

from ..layers import (
    TokenConvBNReLU,
    TokenReconstruct,
    ViTBranch,
    add_reconstructed,
    check_patch_sizes,
    vit_blocks,
)


@MODELS.register_module()
class LViTViTBranch(BaseModule):
    """LViT's text-conditioned ViT path and its fusion with the CNN maps (see module doc).

    Input contract (text-aware vlseg necks): ``inputs = (features, text)`` with
    ``features`` the five CNN maps of ``HybridCNNViT(with_vit=False)`` and ``text`` a
    text source's dict whose ``text[text_key]`` is ``(B, text_length, text_channels)``
    (``WordFeatureEncoder``'s ``tokens``). Returns the five maps with levels 1-4 fused.

    Args:
        in_channels: widths of the five CNN maps (64, 128, 256, 512, 512).
        text_channels: width of the word features (768 for BERT-base).
        text_length: words per caption (10 as the authors).
        text_key: key of the word features in the text dict.
        img_size, patch_sizes, depth, num_heads, mlp_ratio, qkv_bias, drop_rate,
        attn_drop_rate, drop_path_rate, embed_dropout, mlp_dropout: as
            ``HybridCNNViT``; the authors' values are the defaults.
        init_cfg: mmengine init config.
    """

    def __init__(self, in_channels: Sequence[int] = (64, 128, 256, 512, 512),
                 text_channels: int = 768, text_length: int = 10, text_key: str = 'tokens',
                 img_size: int = 224, patch_sizes: Sequence[int] = (16, 8, 4, 2),
                 depth: int = 1, num_heads: int = 8, mlp_ratio: float = 4.0,
                 qkv_bias: bool = True, drop_rate: float = 0.0, attn_drop_rate: float = 0.0,
                 drop_path_rate: float = 0.0, embed_dropout: float = 0.1,
                 mlp_dropout: float = 0.1,
                 init_cfg: Optional[Union[dict, list]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        widths = [int(c) for c in in_channels][:4]
        if len(widths) != 4:
            raise ValueError(f'LViTViTBranch: need the widths of 4 CNN levels, got {in_channels}')
        self.patch_sizes = [int(p) for p in patch_sizes]
        num_patches = check_patch_sizes(self.patch_sizes, img_size)
        self.text_channels = int(text_channels)
        self.text_length = int(text_length)
        self.text_key = text_key
        self.text_inputs = (text_key,)
        self.text_levels = (0, 1, 2, 3)  # the maps its ViT path (which reads the text) fuses
        self.in_channels = widths
        # Text: width 768 -> C4 -> C3 -> C2 -> C1 over the word axis, then words -> patches.
        text_widths = [self.text_channels] + widths[::-1]
        self.text_convs = nn.Sequential(*[
            nn.Conv1d(c_in, c_out, 3, padding=1)
            for c_in, c_out in zip(text_widths[:-1], text_widths[1:])])
        self.words_to_patches = TokenConvBNReLU(self.text_length, num_patches)
        self.down = ViTBranch(widths, self.patch_sizes, num_patches, depth, num_heads,
                              mlp_ratio, qkv_bias, drop_rate, attn_drop_rate, drop_path_rate,
                              embed_dropout, mlp_dropout, owner='LViTViTBranch')
        self.up_blocks = nn.ModuleList([
            vit_blocks(c, depth, num_heads, mlp_ratio, qkv_bias, drop_rate, attn_drop_rate,
                       drop_path_rate, mlp_dropout) for c in widths])
        self.up_merge = nn.ModuleList([
            TokenConvBNReLU(deep, shallow) for shallow, deep in zip(widths, widths[1:])])
        self.reconstruct = nn.ModuleList([
            TokenReconstruct(c, p) for c, p in zip(widths, self.patch_sizes)])

    def text_tokens(self, text: dict, batch: int) -> Tensor:
        """``(B, num_patches, C_1)`` text features added to the first level's patches."""
        if self.text_key not in text:
            raise KeyError(f'LViTViTBranch needs text[{self.text_key!r}] (B, '
                           f'{self.text_length}, {self.text_channels}) word features; the '
                           f'text dict has {sorted(text)} (use WordFeatureEncoder)')
        words = text[self.text_key]
        expected = (batch, self.text_length, self.text_channels)
        if tuple(words.shape) != expected:
            raise ValueError(f'LViTViTBranch: text[{self.text_key!r}] has shape '
                             f'{tuple(words.shape)}, expected {expected} (batch, words, width)')
        words = self.text_convs(words.transpose(1, 2)).transpose(1, 2)  # (B, L, C_1)
        return self.words_to_patches(words)

    def neck_out_channels(self, in_channels: Sequence[int]) -> list[int]:
        """The widths it returns: those it is given, the first four fused with the ViT
        path built for ``self.in_channels`` (``vlseg.models.interfaces``)."""
        if [int(c) for c in in_channels[:4]] != self.in_channels:
            raise ValueError(f'it is built for maps of {self.in_channels} channels, got '
                             f'{list(in_channels)} (set in_channels)')
        return list(in_channels)

    def forward(self, inputs: tuple[Sequence[Tensor], dict]) -> tuple[Tensor, ...]:
        features, text = inputs
        features = list(features)
        text_tokens = self.text_tokens(text, features[0].shape[0])
        tokens, grid = self.down(features[:4], first_level_tokens=text_tokens)
        refined = [self.up_blocks[-1](tokens[-1])]
        for i in range(len(tokens) - 2, -1, -1):
            merged = self.up_merge[i](refined[0].transpose(1, 2)).transpose(1, 2)
            refined.insert(0, self.up_blocks[i](tokens[i]) + merged)
        return add_reconstructed(features, refined, grid, self.reconstruct)
