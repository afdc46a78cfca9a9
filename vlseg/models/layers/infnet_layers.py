"""Building blocks of Inf-Net's decoder (``InfNetHead``).

Fan et al., "Inf-Net: Automatic COVID-19 Lung Infection Segmentation from CT
Images", IEEE TMI 2020; authors' code ``DengPingFan/Inf-Net``,
``Code/model_lung_infection/InfNet_Res2Net.py``. Written from the paper and that code:

- ``ConvBN``: the code's ``BasicConv2d``, conv (no bias) + norm and no activation
  (its ReLU is never called);
- ``RFBBlock``: the code's ``RFB_modified``, four receptive-field branches
  (1x1; 1x1 -> 1xk -> kx1 -> 3x3 dilation k for k = 3, 5, 7), concatenated, fused
  by a 3x3 conv, plus a 1x1 residual, then the activation;
- ``PartialDecoder``: the code's ``aggregation`` (parallel partial decoder) giving
  the coarse global map ``S_g``;
- ``EdgeBranch``: the edge guidance (1x1 -> 3x3 -> 3x3) and the edge map;
- ``ReverseAttention``: ``S_i = conv(cat[reduce((1 - sigmoid(S_prev)) * f_i), edge])
  + S_prev``;
- ``up_to``: bilinear resize to another map's size with aligned corners.

Every block takes mmcv's ``conv_cfg`` (``None``: ``nn.Conv2d``), ``norm_cfg``
(``None``: ``BN``, as the authors) and, where the code applies an activation,
``act_cfg`` (``None``: ``ReLU``). The defaults build the authors' layers; ``ConvBN`` is an
mmcv ``ConvModule`` whose ``conv.*`` / ``bn.*`` are the code's ``BasicConv2d`` names
(checkpoints of the earlier ``Sequential``, ``0.*`` / ``1.*``, still load).
"""
from __future__ import annotations

from typing import Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_activation_layer, build_conv_layer
from torch import Tensor

from .conv_module import AuthorsConvModule

IntPair = Union[int, tuple[int, int]]


def _norm(norm_cfg: Optional[dict]) -> dict:
    return dict(type='BN', requires_grad=True) if norm_cfg is None else norm_cfg


def _act(act_cfg: Optional[dict]) -> nn.Module:
    return build_activation_layer(dict(type='ReLU') if act_cfg is None else act_cfg)


class ConvBN(AuthorsConvModule):
    """The code's ``BasicConv2d``: conv (no bias) + norm, no activation (a ``ConvModule``)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 padding: IntPair = 0, dilation: int = 1, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, padding=padding,
                         dilation=dilation, bias=False, conv_cfg=conv_cfg,
                         norm_cfg=_norm(norm_cfg), act_cfg=None, legacy_names=('0', '1'))


class RFBBlock(nn.Module):
    """The code's ``RFB_modified``: four receptive-field branches + a 1x1 residual."""

    def __init__(self, in_channels: int, channels: int, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None) -> None:
        super().__init__()
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        branches = [nn.Sequential(ConvBN(in_channels, channels, 1, **cfgs))]
        for k in (3, 5, 7):
            branches.append(nn.Sequential(
                ConvBN(in_channels, channels, 1, **cfgs),
                ConvBN(channels, channels, (1, k), padding=(0, k // 2), **cfgs),
                ConvBN(channels, channels, (k, 1), padding=(k // 2, 0), **cfgs),
                ConvBN(channels, channels, 3, padding=k, dilation=k, **cfgs)))
        self.branches = nn.ModuleList(branches)
        self.conv_cat = ConvBN(4 * channels, channels, 3, padding=1, **cfgs)
        self.conv_res = ConvBN(in_channels, channels, 1, **cfgs)
        self.act = _act(act_cfg)

    def forward(self, x: Tensor) -> Tensor:
        fused = self.conv_cat(torch.cat([branch(x) for branch in self.branches], dim=1))
        return self.act(fused + self.conv_res(x))


def up_to(x: Tensor, ref: Tensor) -> Tensor:
    """Bilinear resize to ``ref``'s size with aligned corners (the PPD's ``Upsample``)."""
    return F.interpolate(x, size=ref.shape[-2:], mode='bilinear', align_corners=True)


class PartialDecoder(nn.Module):
    """The code's ``aggregation``: the parallel partial decoder giving ``S_g``.

    Products of upsampled deeper features with shallower ones, concatenations,
    and a final 1x1 conv with bias (the code's ``conv5``).
    """

    def __init__(self, channels: int, out_channels: int = 1, conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        c = channels
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.conv_upsample1 = ConvBN(c, c, 3, padding=1, **cfgs)
        self.conv_upsample2 = ConvBN(c, c, 3, padding=1, **cfgs)
        self.conv_upsample3 = ConvBN(c, c, 3, padding=1, **cfgs)
        self.conv_upsample4 = ConvBN(c, c, 3, padding=1, **cfgs)
        self.conv_upsample5 = ConvBN(2 * c, 2 * c, 3, padding=1, **cfgs)
        self.conv_concat2 = ConvBN(2 * c, 2 * c, 3, padding=1, **cfgs)
        self.conv_concat3 = ConvBN(3 * c, 3 * c, 3, padding=1, **cfgs)
        self.conv4 = ConvBN(3 * c, 3 * c, 3, padding=1, **cfgs)
        self.conv5 = build_conv_layer(conv_cfg, 3 * c, out_channels, 1)

    def forward(self, x5: Tensor, x4: Tensor, x3: Tensor) -> Tensor:
        """Reduced ``f5, f4, f3`` (deepest first) -> ``S_g`` at ``x3``'s resolution."""
        x5_up4 = up_to(x5, x4)
        x4_1 = self.conv_upsample1(x5_up4) * x4
        x3_1 = (self.conv_upsample2(up_to(x5_up4, x3)) * self.conv_upsample3(up_to(x4, x3))
                * x3)
        x4_2 = self.conv_concat2(torch.cat([x4_1, self.conv_upsample4(x5_up4)], dim=1))
        x3_2 = self.conv_concat3(torch.cat([x3_1, self.conv_upsample5(up_to(x4_2, x3))],
                                           dim=1))
        return self.conv5(self.conv4(x3_2))


class EdgeBranch(nn.Module):
    """Edge guidance (three conv + norm, no activation, as the code) and the edge map."""

    def __init__(self, in_channels: int, channels: int = 64, out_channels: int = 1,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None) -> None:
        super().__init__()
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.guidance = nn.Sequential(
            ConvBN(in_channels, channels, 1, **cfgs),
            ConvBN(channels, channels, 3, padding=1, **cfgs),
            ConvBN(channels, channels, 3, padding=1, **cfgs))
        self.out = ConvBN(channels, out_channels, 3, padding=1, **cfgs)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """-> (guidance ``(B, channels, h, w)``, edge logits ``(B, 1, h, w)``)."""
        guidance = self.guidance(x)
        return guidance, self.out(guidance)


class ReverseAttention(nn.Module):
    """``S_i = conv(cat[reduce((1 - sigmoid(S_prev)) * f_i), edge]) + S_prev``.

    Args:
        in_channels: width of the level's feature ``f_i``.
        edge_channels: width of the edge guidance.
        channels: width of the convs.
        num_convs: convs with activation after the concatenation (3 at ``f5``, 2 below).
        kernel_size: their kernel (5 at ``f5``, 3 below).
        out_kernel_size: kernel of the output conv (1 at ``f5``, 3 below).
        out_channels: output maps (1).
        conv_cfg, norm_cfg, act_cfg: mmcv layer configs (see the module docstring).
    """

    def __init__(self, in_channels: int, edge_channels: int, channels: int, num_convs: int,
                 kernel_size: int, out_kernel_size: int, out_channels: int = 1,
                 conv_cfg: Optional[dict] = None, norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None) -> None:
        super().__init__()
        cfgs = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.reduce = ConvBN(in_channels, channels, 1, **cfgs)
        self.convs = nn.ModuleList([
            ConvBN(channels + edge_channels if i == 0 else channels, channels, kernel_size,
                   padding=kernel_size // 2, **cfgs) for i in range(num_convs)])
        self.out = ConvBN(channels, out_channels, out_kernel_size,
                          padding=out_kernel_size // 2, **cfgs)
        self.act = _act(act_cfg)

    def forward(self, feat: Tensor, prior: Tensor, edge: Tensor) -> Tensor:
        prior = F.interpolate(prior, size=feat.shape[-2:], mode='bilinear', align_corners=False)
        edge = F.interpolate(edge, size=feat.shape[-2:], mode='bilinear', align_corners=False)
        x = (1 - torch.sigmoid(prior)) * feat
        x = torch.cat([self.reduce(x), edge], dim=1)
        for conv in self.convs:
            x = self.act(conv(x))
        return self.out(x) + prior
