"""RT-DETR's efficient hybrid encoder (AIFI + CCFM), as LERG's image encoder.

RT-DETR (Zhao et al., "DETRs Beat YOLOs on Real-time Object Detection", CVPR 2024;
``lyuwenyu/RT-DETR`` ``rtdetr_pytorch/src/zoo/rtdetr/hybrid_encoder.py``) encodes the
backbone's S3, S4, S5 (strides 8, 16, 32) in two steps:

- input projection: a 1x1 conv (no bias) + BN to ``hidden_dim`` on every level;
- AIFI (attention-based intra-scale feature interaction): ``num_layers`` transformer
  encoder layers on the deepest level only, ``F5 = Reshape(AIFI(Flatten(S5)))``, with a
  2D sin-cos position added to queries and keys (post-norm, GELU FFN);
- CCFM (CNN-based cross-scale feature fusion): a top-down FPN (1x1 lateral conv +
  SiLU, nearest x2 upsampling, concatenation with the finer level, a fusion block)
  then a bottom-up PAN (3x3 stride-2 conv + SiLU, concatenation with the lateral
  output of the coarser level, a fusion block). The fusion block is ``CSPRepLayer``
  (ultralytics ``RepC3`` in SGSeg's code): two 1x1 conv-BN-SiLU branches, ``num_blocks``
  RepVGG blocks (3x3-BN plus 1x1-BN, summed, SiLU) on the first, the branches summed.

Written from the RT-DETR release; SGSeg's ``utils/rtdetr.py`` builds the same graph from
ultralytics modules (``AIFI``, ``Conv``, ``RepC3``). Differences, all deliberate:

- the sin-cos grid: RT-DETR builds it with ``meshgrid(w, h, indexing='ij')`` and
  flattens it x-major while the features flatten row-major (on square maps the
  positions are transposed: harmless, being consistent, but not what it says); ours
  flattens in the features' order, ``[sin x, cos x, sin y, cos y]`` per position;
- RepVGG blocks stay in their training form (no re-parameterised deploy conv);
- levels are resized to the finer level's size (nearest) rather than by a fixed x2, so
  any input size works; for inputs that are multiples of 32 this is exactly x2.
Conv-norm-act units are mmcv ``ConvModule`` (BN, SiLU), as elsewhere in vlseg.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor

from ..layers.attention import MultiheadAttention
from ..layers.conv_module import AuthorsConvModule


def sincos_position_2d(height: int, width: int, dim: int, temperature: float = 10000.,
                       device=None, dtype=torch.float32) -> Tensor:
    """``(height * width, dim)`` 2D sin-cos positions, row-major like ``x.flatten(2)``.

    The first half of the channels encodes x (``sin``, ``cos``), the second y, each
    with frequencies ``temperature ** (-k / (dim / 4))``, ``k < dim / 4`` (RT-DETR's).
    """
    if dim % 4:
        raise ValueError(f'sin-cos positions need a width divisible by 4, got {dim}')
    quarter = dim // 4
    omega = 1.0 / temperature ** (torch.arange(quarter, dtype=torch.float32, device=device)
                                  / quarter)
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32, device=device),
                            torch.arange(width, dtype=torch.float32, device=device),
                            indexing='ij')
    out_x = xs.flatten()[:, None] * omega[None]
    out_y = ys.flatten()[:, None] * omega[None]
    return torch.cat([out_x.sin(), out_x.cos(), out_y.sin(), out_y.cos()], 1).to(dtype)


def _conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
          act: bool = True) -> ConvModule:
    return ConvModule(in_channels, out_channels, kernel_size, stride=stride,
                      padding=(kernel_size - 1) // 2, bias=False, norm_cfg=dict(type='BN'),
                      act_cfg=dict(type='SiLU') if act else None)


class RepVGGBlock(nn.Module):
    """``SiLU(BN(conv3x3(x)) + BN(conv1x1(x)))`` (training form)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv3 = _conv(channels, channels, 3, act=False)
        self.conv1 = _conv(channels, channels, 1, act=False)
        self.act = nn.SiLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.conv3(x) + self.conv1(x))


class CSPRepLayer(nn.Module):
    """RT-DETR's CCFM fusion block (ultralytics ``RepC3``)."""

    def __init__(self, in_channels: int, out_channels: int, num_blocks: int = 3,
                 expansion: float = 1.0) -> None:
        super().__init__()
        hidden = int(out_channels * expansion)
        self.conv1 = _conv(in_channels, hidden, 1)
        self.conv2 = _conv(in_channels, hidden, 1)
        self.blocks = nn.Sequential(*[RepVGGBlock(hidden) for _ in range(num_blocks)])
        self.conv3 = _conv(hidden, out_channels, 1) if hidden != out_channels else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        return self.conv3(self.blocks(self.conv1(x)) + self.conv2(x))


class AIFILayer(nn.Module):
    """Post-norm transformer encoder layer; positions on queries and keys only."""

    def __init__(self, dim: int, num_heads: int, ffn_dim: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.self_attn = MultiheadAttention(dim, num_heads, dropout=dropout)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(ffn_dim, dim))
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x: Tensor, pos: Tensor) -> Tensor:
        q = k = x + pos
        x = self.norm1(x + self.dropout1(self.self_attn(q, k, x)))
        return self.norm2(x + self.dropout2(self.ffn(x)))


class HybridEncoder(nn.Module):
    """AIFI on the deepest level, then CCFM (FPN + PAN): a list of ``hidden_dim`` maps.

    Args:
        in_channels: channels of the backbone levels, finest first (S3, S4, S5).
        hidden_dim: width of every output level.
        num_heads, ffn_dim, dropout: AIFI's attention heads, FFN width and dropout.
        num_layers: AIFI layers (0: none, the S5 projection goes straight to CCFM).
        num_blocks: RepVGG blocks per fusion block (RT-DETR-R50: 3).
        expansion: hidden width ratio of the fusion blocks (RT-DETR-R50: 1.0).
        pe_temperature: temperature of the sin-cos positions.
    """

    def __init__(self, in_channels: Sequence[int], hidden_dim: int = 256,
                 num_heads: int = 8, ffn_dim: int = 1024, num_layers: int = 1,
                 dropout: float = 0.0, num_blocks: int = 3, expansion: float = 1.0,
                 pe_temperature: float = 10000.) -> None:
        super().__init__()
        self.in_channels = [int(c) for c in in_channels]
        if len(self.in_channels) < 2:
            raise ValueError('HybridEncoder needs at least two levels, got '
                             f'{len(self.in_channels)}')
        self.hidden_dim = int(hidden_dim)
        self.pe_temperature = float(pe_temperature)
        levels = len(self.in_channels)
        # conv1x1 - BN; legacy_names: checkpoints of the earlier nn.Sequential load.
        self.input_proj = nn.ModuleList(
            AuthorsConvModule(c, hidden_dim, 1, bias=False, norm_cfg=dict(type='BN'),
                              act_cfg=None, legacy_names=('0', '1'))
            for c in self.in_channels)
        self.aifi = nn.ModuleList(AIFILayer(hidden_dim, num_heads, ffn_dim, dropout)
                                  for _ in range(num_layers))
        self.lateral_convs = nn.ModuleList(_conv(hidden_dim, hidden_dim, 1)
                                           for _ in range(levels - 1))
        self.fpn_blocks = nn.ModuleList(
            CSPRepLayer(2 * hidden_dim, hidden_dim, num_blocks, expansion)
            for _ in range(levels - 1))
        self.downsample_convs = nn.ModuleList(_conv(hidden_dim, hidden_dim, 3, stride=2)
                                              for _ in range(levels - 1))
        self.pan_blocks = nn.ModuleList(
            CSPRepLayer(2 * hidden_dim, hidden_dim, num_blocks, expansion)
            for _ in range(levels - 1))

    def forward(self, feats: Sequence[Tensor]) -> list[Tensor]:
        if len(feats) != len(self.in_channels):
            raise ValueError(f'HybridEncoder: expected {len(self.in_channels)} levels, '
                             f'got {len(feats)}')
        proj = [layer(f) for layer, f in zip(self.input_proj, feats)]
        if len(self.aifi):
            batch, dim, height, width = proj[-1].shape
            tokens = proj[-1].flatten(2).transpose(1, 2)                 # (B, h w, D)
            pos = sincos_position_2d(height, width, dim, self.pe_temperature,
                                     tokens.device, tokens.dtype)[None]
            for layer in self.aifi:
                tokens = layer(tokens, pos)
            proj[-1] = tokens.transpose(1, 2).reshape(batch, dim, height, width)
        # Top-down FPN: inner[0] is the current coarsest; lateral outputs replace it.
        inner = [proj[-1]]
        for step, idx in enumerate(range(len(proj) - 1, 0, -1)):
            high = self.lateral_convs[step](inner[0])
            inner[0] = high
            low = proj[idx - 1]
            up = F.interpolate(high, size=low.shape[-2:], mode='nearest')
            inner.insert(0, self.fpn_blocks[step](torch.cat([up, low], 1)))
        # Bottom-up PAN.
        outs = [inner[0]]
        for idx in range(len(proj) - 1):
            down = self.downsample_convs[idx](outs[-1])
            high = inner[idx + 1]
            if down.shape[-2:] != high.shape[-2:]:
                down = F.interpolate(down, size=high.shape[-2:], mode='nearest')
            outs.append(self.pan_blocks[idx](torch.cat([down, high], 1)))
        return outs
