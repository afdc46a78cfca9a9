"""UNETR decoder blocks in 2D, as MONAI builds them (Hatamizadeh et al., "UNETR", WACV 2022).

The blocks of Ariadne's Thread's decoder (Zhong et al., MICCAI 2023; code
``Junelin2333/LanGuideMedSeg-MICCAI2023``, which takes them from MONAI): the conv block
(``UnetBasicBlock`` / ``UnetResBlock``), the up block (``UnetrUpBlock``) and the final
sub-pixel upsampling (``SubpixelUpsample``, Shi et al. 2016, with ICNR init, Aitken et al.
2017). Written here in 2D with the same parameters and defaults, so that
``GuideDecoderHead`` and any other head can use them without MONAI.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
from mmseg.models.utils import resize
from torch import Tensor

from .conv_module import AuthorsConvModule

_LEAKY_RELU = dict(type='LeakyReLU', negative_slope=0.01, inplace=True)


class UnetConvBlock(nn.Module):
    """Two conv3x3 (no bias) - norm - LeakyReLU(0.01); MONAI ``UnetBasicBlock``/``UnetResBlock``.

    The units are mmcv ``ConvModule``s (``AuthorsConvModule``: PyTorch's init, as MONAI's
    blocks have); the second has no activation of its own, because with ``residual=True``
    (``UnetResBlock``) the input, projected by a 1x1 conv + norm when the widths differ, is
    added before the last activation. Checkpoints of the earlier form (``conv1``/``norm1``,
    ``conv2``/``norm2``, ``shortcut.0``/``shortcut.1``) load: their keys are renamed.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 norm_cfg: Optional[dict] = None, residual: bool = False) -> None:
        super().__init__()
        norm_cfg = norm_cfg or dict(type='BN', requires_grad=True)
        padding = kernel_size // 2
        self.conv1 = AuthorsConvModule(in_channels, out_channels, kernel_size, padding=padding,
                                       bias=False, norm_cfg=norm_cfg, act_cfg=_LEAKY_RELU)
        self.conv2 = AuthorsConvModule(out_channels, out_channels, kernel_size,
                                       padding=padding, bias=False, norm_cfg=norm_cfg,
                                       act_cfg=None)
        self.act = nn.LeakyReLU(0.01, inplace=True)
        self.residual = residual
        self.shortcut: Optional[nn.Module] = None
        if residual and in_channels != out_channels:
            self.shortcut = AuthorsConvModule(in_channels, out_channels, 1, bias=False,
                                              norm_cfg=norm_cfg, act_cfg=None,
                                              legacy_names=('0', '1'))

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args, **kwargs) -> None:
        # Earlier keys: conv{i}.weight (now conv{i}.conv.weight), norm{i}.* (conv{i}.<norm>.*).
        for index, unit in ((1, self.conv1), (2, self.conv2)):
            renames = {f'conv{index}.weight': f'conv{index}.conv.weight'}
            for key in [key for key in state_dict if key.startswith(f'{prefix}norm{index}.')]:
                rest = key[len(f'{prefix}norm{index}.'):]
                renames[f'norm{index}.{rest}'] = f'conv{index}.{unit.norm_name}.{rest}'
            for old, new in renames.items():
                if prefix + old in state_dict:
                    state_dict[prefix + new] = state_dict.pop(prefix + old)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv2(self.conv1(x))
        if self.residual:
            out = out + (x if self.shortcut is None else self.shortcut(x))
        return self.act(out)


class UnetrUpBlock2d(nn.Module):
    """UNETR up block (MONAI ``UnetrUpBlock``, 2D): transposed conv x2, concat skip, conv block.

    The transposed conv (kernel = stride = 2, no bias) maps ``in_channels`` to
    ``out_channels``; the conv block takes ``out_channels + skip_channels`` (MONAI
    requires ``skip_channels == out_channels``).
    """

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int,
                 kernel_size: int = 3, upsample_kernel_size: int = 2,
                 norm_cfg: Optional[dict] = None, res_block: bool = False) -> None:
        super().__init__()
        self.transp_conv = nn.ConvTranspose2d(in_channels, out_channels, upsample_kernel_size,
                                              stride=upsample_kernel_size, bias=False)
        self.conv_block = UnetConvBlock(out_channels + skip_channels, out_channels,
                                        kernel_size, norm_cfg, residual=res_block)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        up = self.transp_conv(x)
        if up.shape[-2:] != skip.shape[-2:]:
            up = resize(up, size=skip.shape[-2:], mode='bilinear', align_corners=False)
        return self.conv_block(torch.cat((up, skip), dim=1))


def icnr_(weight: Tensor, scale: int) -> Tensor:
    """ICNR init (Aitken et al. 2017): the ``scale**2`` filters PixelShuffle merges start equal.

    Each base filter is drawn with ``kaiming_normal_`` (MONAI's default) and
    repeated for the sub-pixels of its output channel.
    """
    out_channels, in_channels, *kernel = weight.shape
    copies = scale ** len(kernel)
    if out_channels % copies:
        raise ValueError(f'ICNR: {out_channels} output channels are not a multiple of {copies}')
    base = torch.empty(out_channels // copies, in_channels, *kernel)
    nn.init.kaiming_normal_(base)
    with torch.no_grad():
        weight.copy_(base.repeat_interleave(copies, dim=0))
    return weight


class SubpixelUpsample2d(nn.Module):
    """Sub-pixel upsampling (MONAI ``SubpixelUpsample`` with its defaults, 2D).

    conv3x3 (``in -> out * scale**2``, bias, ICNR init), PixelShuffle(scale), then
    (``pad_pool``) zero padding of ``scale - 1`` on the top/left and a
    ``scale x scale`` stride-1 average pool (the nearest-neighbour resize
    component of Aitken et al.).
    """

    def __init__(self, in_channels: int, out_channels: int, scale: int = 4,
                 pad_pool: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels * scale ** 2, 3, padding=1, bias=True)
        icnr_(self.conv.weight, scale)
        self.shuffle = nn.PixelShuffle(scale)
        self.pad_pool: nn.Module = nn.Identity()
        if pad_pool and scale > 1:
            self.pad_pool = nn.Sequential(
                nn.ZeroPad2d((scale - 1, 0, scale - 1, 0)),
                nn.AvgPool2d(scale, stride=1))

    def forward(self, x: Tensor) -> Tensor:
        return self.pad_pool(self.shuffle(self.conv(x)))
